// `kiln prune` / `kiln builder prune` and the daemon's cache size cap, on the busybox fixture:
// without -a the cache of tagged images' steps stays (a rebuild is fully cached) while a
// builder stage's goes; -a removes it all (a rebuild runs every step); --keep-storage evicts the
// least recently used first; the images still run; and a daemon started with
// --gc-keep-storage prunes after a build.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { canRunContainers, containerUser, stopDaemon, type ContainerUser } from '../helpers/kiln-env.js';
import { stepsMarked } from '../helpers/build-steps.js';
import { tempDir } from '../helpers/tmp.js';

async function context(prefix: string, dockerfile: string[]): Promise<string> {
  const dir = await tempDir(prefix);
  await writeFile(join(dir, 'Dockerfile'), [...dockerfile, ''].join('\n'));
  return dir;
}

async function build(user: ContainerUser, tag: string, dir: string): Promise<{ ran: string[]; cached: string[] }> {
  const built = await user.kiln(['build', '--progress', 'plain', '-t', tag, dir]);
  assert.equal(built.status, 0, built.stderr);
  return { ran: stepsMarked(built.stderr, 'DONE', { exceptFrom: true }), cached: stepsMarked(built.stderr, 'CACHED', { exceptFrom: true }) };
}

/** The cache records whose result is a build step's snapshot. */
async function stepRecords(root: string): Promise<string[]> {
  const dir = join(root, 'cache', 'records');
  const refs = await Promise.all((await readdir(dir)).filter((name) => name.endsWith('.json'))
    .map(async (name) => (JSON.parse(await readFile(join(dir, name), 'utf8')) as { ref: string }).ref));
  return refs.filter((ref) => ref.startsWith('kiln-'));
}

describe('kiln prune', { skip: canRunContainers ? false : 'needs root for mounts and runc' }, async () => {
  const user = await containerUser('prune');
  const appA = await context('prune-a', ['FROM busybox:1', 'RUN head -c 300000 /dev/urandom > /a.bin', 'RUN echo a > /a.txt']);
  const appB = await context('prune-b', ['FROM busybox:1', 'RUN head -c 300000 /dev/urandom > /b.bin && echo b > /b.txt']);
  const staged = await context('prune-c', ['FROM busybox:1 AS builder', 'RUN echo c > /c.txt', 'FROM busybox:1', 'COPY --from=builder /c.txt /c.txt']);
  const runs = async (tag: string, file: string): Promise<string> => (await user.kiln(['run', '--rm', tag, 'cat', file])).stdout;

  it('without -a keeps what tagged images hold, so their rebuild is fully cached, and drops a builder stage', async () => {
    assert.deepEqual((await build(user, 'a:1', appA)).ran.length, 2);
    assert.deepEqual((await build(user, 'c:1', staged)).ran.length, 2);
    const pruned = await user.kiln(['builder', 'prune', '-f']);
    assert.equal(pruned.status, 0, pruned.stderr);
    assert.match(pruned.stdout, /^ID\t+RECLAIMABLE\tSIZE\t+LAST ACCESSED\nkiln-run-[0-9a-f]{16}-result +\ttrue \t/);
    assert.match(pruned.stdout, /\nTotal:\t\d/);
    const again = await build(user, 'a:1', appA);
    assert.deepEqual([again.ran, again.cached.length], [[], 2]);
    // Only the builder stage's RUN went; c:1's COPY is still a hit, so the builder need not run.
    assert.equal(pruned.stdout.split('\n').filter((line) => line.startsWith('kiln-')).length, 1, pruned.stdout);
    assert.deepEqual((await build(user, 'c:1', staged)).ran, []);
    assert.equal(await runs('c:1', '/c.txt'), 'c\n');
  });

  it('asks first, and a closed stdin answers no', async () => {
    const asked = await user.kiln(['prune', '--all']);
    assert.equal(asked.status, 0, asked.stderr);
    assert.equal(asked.stdout, 'WARNING! This will remove all build cache. Are you sure you want to continue? [y/N] ');
    assert.deepEqual((await build(user, 'a:1', appA)).ran, []);
  });

  it('with -a -f removes everything: a rebuild runs every step and the images still run', async () => {
    const pruned = await user.kiln(['prune', '--all', '--force']);
    assert.equal(pruned.status, 0, pruned.stderr);
    assert.equal(await runs('a:1', '/a.txt'), 'a\n');
    assert.equal((await build(user, 'a:1', appA)).ran.length, 2);
    assert.equal(await runs('a:1', '/a.txt'), 'a\n');
  });

  it('with --keep-storage evicts the least recently used first', async () => {
    assert.equal((await build(user, 'b:1', appB)).ran.length, 1);
    // a:1's two steps (~300 kB) were used before b:1's one (~300 kB): a cap of 400 KiB takes a's.
    const pruned = await user.kiln(['prune', '-a', '-f', '--keep-storage', '400k']);
    assert.equal(pruned.status, 0, pruned.stderr);
    assert.equal(pruned.stdout.split('\n').filter((line) => line.startsWith('kiln-')).length, 2, pruned.stdout);
    assert.deepEqual((await build(user, 'b:1', appB)).ran, []);
    assert.equal((await build(user, 'a:1', appA)).ran.length, 2);
    assert.equal(await runs('b:1', '/b.txt'), 'b\n');
  });

  it('refuses an unknown filter with exit code 1', async () => {
    const refused = await user.kiln(['prune', '-f', '--filter', 'label=x']);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /invalid filter 'label'/);
  });
});

describe('the daemon\'s --gc-keep-storage', { skip: canRunContainers ? false : 'needs root for mounts and runc' }, async () => {
  const user = await containerUser('prune-gc');
  const app = await context('prune-gc-app', ['FROM busybox:1', 'RUN echo capped > /capped.txt']);

  it('prunes the cache down to the cap after a build', async () => {
    // The fixture's load started an embedded daemon without a cap: this one has one.
    await stopDaemon(user.root);
    const entry = fileURLToPath(new URL('../../src/daemon/main.ts', import.meta.url));
    spawn(process.execPath, ['--import', 'tsx', entry, '--root', user.root, '--gc-keep-storage', '1', '--embedded'], { detached: true, stdio: 'ignore' }).unref();
    for (let waited = 0; !existsSync(join(user.root, 'kiln.sock')); waited += 50) {
      assert.ok(waited < 15_000, 'the daemon did not start');
      await delay(50);
    }
    assert.equal((await build(user, 'capped:1', app)).ran.length, 1);
    // Records of the base image's layers stay (they free nothing); those of the steps go.
    for (let waited = 0; (await stepRecords(user.root)).length > 0; waited += 50) {
      assert.ok(waited < 15_000, 'the GC left the steps\' cache records');
      await delay(50);
    }
    assert.equal((await build(user, 'capped:1', app)).ran.length, 1);
    assert.equal((await user.kiln(['run', '--rm', 'capped:1', 'cat', '/capped.txt'])).stdout, 'capped\n');
  });
});
