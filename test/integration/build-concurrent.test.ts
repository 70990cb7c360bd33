// `kiln build` processes running at once against one daemon: the same Dockerfile, Dockerfiles
// that share a first stage, and unrelated builds; then kill -9 of the daemon in the middle of
// a large COPY and a rebuild on the restarted one. A shared RUN counts its runs in a cache
// mount, a host directory under <root>/cache/mounts (ops/cache-mounts.ts), so the test reads
// the count without building anything more.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { AsyncCliResult } from '../helpers/cli.js';
import { canRunContainers, containerUser } from '../helpers/kiln-env.js';
import { stepsMarked } from '../helpers/build-steps.js';
import { tempDir } from '../helpers/tmp.js';

/** A RUN that appends a line to the cache `id` each time it runs, and takes a second. */
const countedRun = (id: string): string => `RUN --mount=type=cache,target=/c,id=${id} sh -c 'echo x >> /c/runs; sleep 1'`;

/** Concurrent builds on a shared, noisy machine take their time. */
const slow = { timeoutMs: 240_000 };

describe('concurrent kiln builds', { skip: canRunContainers ? false : 'needs root for mounts and runc' }, async () => {
  const user = await containerUser('build-concurrent');
  const iids = await tempDir('build-concurrent-iids');

  /** How many times the counted RUN of cache `id` ran. */
  const runsOf = async (id: string): Promise<number> => {
    const dir = join(user.root, 'cache', 'mounts', createHash('sha256').update(id).digest('hex'));
    return (await readFile(join(dir, 'runs'), 'utf8')).split('\n').filter((line) => line !== '').length;
  };

  let buildCount = 0;
  /** `kiln build --progress=plain --iidfile`, with the image ID it wrote. */
  const build = async (args: string[]): Promise<AsyncCliResult & { id: string }> => {
    const iidfile = join(iids, `build-${++buildCount}`);
    const result = await user.kiln(['build', '--progress=plain', '--iidfile', iidfile, ...args], slow);
    const id = result.status === 0 ? (await readFile(iidfile, 'utf8')).trim() : '';
    return { ...result, id };
  };

  /** Every build succeeded, and none showed a step failing. */
  const allSucceeded = (builds: AsyncCliResult[]): void => {
    for (const built of builds) {
      assert.equal(built.status, 0, built.stderr);
      assert.doesNotMatch(built.stderr, /^#\d+ (ERROR|CANCELED)/m, built.stderr);
    }
  };

  /** The build shows the step named `step` (a suffix of its progress name) as done or cached. */
  const finished = (built: AsyncCliResult, step: string): boolean =>
    [...stepsMarked(built.stderr, 'DONE'), ...stepsMarked(built.stderr, 'CACHED')].some((name) => name.endsWith(step));

  // Filled by the first test, judged by the second.
  let identical: (AsyncCliResult & { id: string })[] = [];

  it('runs a step of 4 identical builds at once only once, and every build shows it done', async () => {
    const dir = await tempDir('build-same');
    const run = countedRun('same');
    await writeFile(join(dir, 'Dockerfile'), ['FROM busybox:1', run, 'RUN echo same > /out', 'CMD ["cat", "/out"]', ''].join('\n'));
    await delay(150);
    identical = await Promise.all([1, 2, 3, 4].map((n) => build(['-t', `same:${n}`, dir])));
    allSucceeded(identical);
    assert.equal(await runsOf('same'), 1, 'the shared RUN ran more than once');
    for (const built of identical) assert.ok(finished(built, run.slice('RUN '.length)), built.stderr);
    for (const n of [1, 2, 3, 4]) {
      const ran = await user.kiln(['run', '--rm', `same:${n}`]);
      assert.deepEqual([ran.status, ran.stdout], [0, 'same\n'], ran.stderr);
    }
  });

  it('gives the 4 identical builds one image ID', () => {
    assert.equal(identical.length, 4);
    assert.equal(new Set(identical.map((built) => built.id)).size, 1, identical.map((built) => built.id).join(' '));
  });

  it('runs the first stage shared by 3 Dockerfiles once, and each image ends with its own step', async () => {
    const dir = await tempDir('build-overlap');
    await writeFile(join(dir, 'shared.txt'), 'shared\n');
    const base = ['FROM busybox:1 AS base', 'COPY shared.txt /shared.txt', countedRun('overlap')];
    const flavours = ['red', 'green', 'blue'];
    for (const flavour of flavours) {
      await writeFile(join(dir, `${flavour}.Dockerfile`), [...base, 'FROM base', `RUN echo ${flavour} > /last`, 'CMD ["cat", "/shared.txt", "/last"]', ''].join('\n'));
    }
    await delay(150);
    const builds = await Promise.all(flavours.map((flavour) => build(['-t', `overlap:${flavour}`, '-f', join(dir, `${flavour}.Dockerfile`), dir])));
    allSucceeded(builds);
    assert.equal(new Set(builds.map((built) => built.id)).size, 3);
    assert.equal(await runsOf('overlap'), 1, 'the shared RUN ran more than once');
    for (const flavour of flavours) {
      const ran = await user.kiln(['run', '--rm', `overlap:${flavour}`]);
      assert.deepEqual([ran.status, ran.stdout], [0, `shared\n${flavour}\n`], ran.stderr);
    }
  });

  it('copies each build\'s own context when one Dockerfile is built from 3 contexts at once', async () => {
    const contexts = await Promise.all(['one', 'two', 'three'].map(async (name) => {
      const dir = await tempDir(`build-context-${name}`);
      // The RUN keeps each solve going long enough for the others to start beside it.
      await writeFile(join(dir, 'Dockerfile'), 'FROM busybox:1\nCOPY name.txt /name.txt\nRUN sleep 2\nCMD ["cat", "/name.txt"]\n');
      await writeFile(join(dir, 'name.txt'), `${name}\n`);
      return { name, dir };
    }));
    await delay(150);
    const builds = await Promise.all(contexts.map(({ name, dir }) => build(['-t', `context:${name}`, dir])));
    allSucceeded(builds);
    const held = await Promise.all(contexts.map(async ({ name }) => `${name}: ${(await user.kiln(['run', '--rm', `context:${name}`])).stdout.trim()}`));
    assert.deepEqual(held, contexts.map(({ name }) => `${name}: ${name}`));
  });

  it('builds 6 different images at once and leaves a store that lists, caches and prunes them', async () => {
    const names = [1, 2, 3, 4, 5, 6].map((n) => `many${n}`);
    const dirs = await Promise.all(names.map(async (name) => {
      const dir = await tempDir(`build-${name}`);
      await writeFile(join(dir, 'Dockerfile'), `FROM busybox:1\nRUN echo ${name} > /name && sleep 1\nCMD ["cat", "/name"]\n`);
      return dir;
    }));
    await delay(150);
    const builds = await Promise.all(names.map((name, at) => build(['-t', `${name}:1`, dirs[at] as string])));
    allSucceeded(builds);
    const listed = await user.kiln(['images']);
    assert.equal(listed.status, 0, listed.stderr);
    for (const name of names) assert.match(listed.stdout, new RegExp(`^${name}\\s+1\\s`, 'm'), listed.stdout);

    const rebuilds = await Promise.all(names.map((name, at) => build(['-t', `${name}:1`, dirs[at] as string])));
    allSucceeded(rebuilds);
    rebuilds.forEach((rebuilt, at) => {
      assert.deepEqual(stepsMarked(rebuilt.stderr, 'DONE'), [], rebuilt.stderr);
      assert.equal(stepsMarked(rebuilt.stderr, 'CACHED').length, 2, rebuilt.stderr);
      assert.equal(rebuilt.id, builds[at]?.id);
    });

    const pruned = await user.kiln(['prune', '-a', '-f']);
    assert.equal(pruned.status, 0, pruned.stderr);
    const afterPrune = await build(['-t', 'many1:2', dirs[0] as string]);
    allSucceeded([afterPrune]);
    // The prune took the base's record too: it is unpacked again, and the RUN runs again.
    assert.deepEqual(stepsMarked(afterPrune.stderr, 'DONE', { exceptFrom: true }).map((name) => name.split(' ')[1]), ['RUN'], afterPrune.stderr);
    for (const name of names) {
      const ran = await user.kiln(['run', '--rm', `${name}:1`]);
      assert.deepEqual([ran.status, ran.stdout], [0, `${name}\n`], ran.stderr);
    }
  });

  it('after kill -9 of the daemon in the middle of a large COPY, the restarted daemon cleans up and a rebuild succeeds', async () => {
    const dir = await tempDir('build-copy-killed');
    const files = join(dir, 'files');
    await mkdir(files);
    // Incompressible pages: writing their layer takes long enough to be caught in the middle.
    for (let n = 0; n < 3000; n++) await writeFile(join(files, `f${n}`), randomBytes(8192));
    await writeFile(join(dir, 'Dockerfile'), 'FROM busybox:1\nCOPY files/ /files/\nCMD ["sh", "-c", "ls /files | wc -l"]\n');
    await delay(150);

    let copyStarted = (): void => undefined;
    const started = new Promise<void>((resolve) => {
      copyStarted = resolve;
    });
    const interrupted = user.kiln(['build', '--progress=plain', '-t', 'copied:1', dir], {
      ...slow,
      onSpawn: (child) => {
        let seen = '';
        child.stderr?.on('data', (chunk: Buffer) => {
          seen += chunk.toString('utf8');
          if (/^#\d+ \[\d+\/\d+\] COPY files\/ \/files\/$/m.test(seen)) copyStarted();
        });
      },
    });
    let ended = false;
    void interrupted.then(() => {
      ended = true;
    });
    await Promise.race([started, interrupted]);
    // Once the step writes (a blob being ingested, a snapshot being made), the daemon goes the hard way.
    const daemonPid = Number(await readFile(join(user.root, 'kilnd.pid'), 'utf8'));
    const inFlight = async (): Promise<string[]> => [
      ...(await user.ingests()).map((name) => `content/ingest/${name}`),
      ...(await readdir(join(user.root, 'snapshots'))).filter((name) => name.startsWith(`tmp-${daemonPid}-`)).map((name) => `snapshots/${name}`),
    ];
    let caught: string[] = [];
    while (!ended && caught.length === 0) {
      caught = await inFlight();
      if (caught.length === 0) await delay(2);
    }
    if (caught.length > 0) process.kill(daemonPid, 'SIGKILL');
    const cut = await interrupted;
    assert.notDeepEqual(caught, [], `the build ended before its COPY wrote anything: ${cut.stderr}`);
    assert.notEqual(cut.status, 0, cut.stderr);
    assert.match(cut.stderr, /daemon closed the connection before the build ended/);

    const rebuilt = await build(['-t', 'copied:1', dir]);
    allSucceeded([rebuilt]);
    assert.notEqual(Number(await readFile(join(user.root, 'kilnd.pid'), 'utf8')), daemonPid, 'the CLI did not start a new daemon');
    assert.deepEqual(stepsMarked(rebuilt.stderr, 'DONE').map((name) => name.split(' ')[1]), ['COPY'], rebuilt.stderr);
    const ran = await user.kiln(['run', '--rm', 'copied:1']);
    assert.deepEqual([ran.status, ran.stdout.trim()], [0, '3000'], ran.stderr);
    // The new daemon's own temp dirs may be in flight (a snapshot `kiln run --rm` hid for
    // removal is deleted in the background); those of dead writers must be gone.
    const newPid = Number(await readFile(join(user.root, 'kilnd.pid'), 'utf8'));
    const deadTemp = (await readdir(join(user.root, 'snapshots'))).filter((name) => name.startsWith('tmp-') && !name.startsWith(`tmp-${newPid}-`));
    assert.deepEqual(deadTemp, [], `left behind; the kill caught ${caught.join(', ')}`);
    assert.deepEqual(await user.ingests(), [], `left behind; the kill caught ${caught.join(', ')}`);
    const buildDir = await readdir(join(user.root, 'build')).catch(() => []);
    assert.deepEqual(buildDir.filter((name) => name !== 'runc' && name !== 'logs'), []);
    const listed = await user.kiln(['images']);
    assert.match(listed.stdout, /^copied\s+1\s/m, listed.stdout);
  });
});
