// COPY through the solver: what .dockerignore keeps is copied with its modes, owned by root; an
// unchanged context (a new build, a new context session) hits the cache by content, and one
// changed file reruns the copy and what follows it only. Plain COPYs are written as their
// layers, from the context and from a stage, unless a RUN mounts a large one next.
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { closeHashPool, openContext } from '../../../src/contenthash/index.js';
import { engineSnapshotter, openEngine, type ImageEngine } from '../../../src/daemon/images/engine.js';
import { loadIgnoreFile, PatternMatcher } from '../../../src/dockerfile/index.js';
import { fileActions, image, local, marshal, scratch, type State } from '../../../src/llb/index.js';
import { readKeptLayer } from '../../../src/exporter/index.js';
import { buildWorkDir, loadDefinition, snapshotCodec, type SnapshotRef } from '../../../src/ops/index.js';
import { mountAll, unmountAll } from '../../../src/snapshot/index.js';
import { RecordCacheManager, Solver, type ProgressEvent } from '../../../src/solver/index.js';
import { canRunContainers, containerUser } from '../../helpers/kiln-env.js';
import { tempDir } from '../../helpers/tmp.js';

describe('COPY as a file op', { skip: canRunContainers ? false : 'needs root for mounts and runc' }, async () => {
  const user = await containerUser('ops-file');
  const contextDir = await tempDir('ops-file-context');
  await mkdir(join(contextDir, 'app'));
  await writeFile(join(contextDir, 'app', 'run.sh'), '#!/bin/sh\necho run\n', { mode: 0o755 });
  await writeFile(join(contextDir, 'app', 'data.txt'), 'one\n');
  await writeFile(join(contextDir, 'app', 'secret.txt'), 'hidden\n');
  await writeFile(join(contextDir, '.dockerignore'), 'app/secret.txt\n');
  // Files written just now are hashed again by every build (the stat cache does not trust them yet).
  await delay(150);
  const engines: ImageEngine[] = [];
  after(async () => {
    for (const engine of engines) await engine.close();
    await closeHashPool();
  });

  const build = image(user.image)
    .file(fileActions().copy(local('context'), 'app/', '/srv/', { dirContentsOnly: true, createDestPath: true, allowWildcard: true }))
    .run({ args: ['sh', '-c', 'ls /srv > /listing'] }).root();

  async function solve(state: State, events: ProgressEvent[], root = user.root): Promise<{ ref: SnapshotRef; engine: ImageEngine }> {
    const engine = await openEngine({ root });
    engines.push(engine);
    const snapshotter = engineSnapshotter(engine);
    const ignore = await loadIgnoreFile(contextDir, join(contextDir, 'Dockerfile'));
    const context = openContext(root, contextDir, ignore === undefined ? undefined : new PatternMatcher(ignore.patterns));
    const ops = { engine, snapshotter, runcRoot: join(root, 'build-runc'), workDir: buildWorkDir(root), locals: new Map([['context', context]]) };
    const edge = loadDefinition(ops, marshal(state));
    assert.ok(edge !== undefined);
    const ref = await new Solver(new RecordCacheManager(root, snapshotCodec(snapshotter)), { jobs: 2 }).solve(edge, { progress: (e) => events.push(e) });
    await context.save();
    return { ref, engine };
  }

  async function inSnapshot<T>(engine: ImageEngine, ref: SnapshotRef, read: (dir: string) => Promise<T>): Promise<T> {
    assert.ok(ref.snapshot !== undefined);
    const snapshotter = engineSnapshotter(engine);
    const view = `view-${Date.now()}`;
    const dir = join(user.root, 'mnt', view);
    await mkdir(dir, { recursive: true });
    await mountAll(await snapshotter.view(view, ref.snapshot), dir);
    try {
      return await read(dir);
    } finally {
      await unmountAll(dir);
      await snapshotter.remove(view);
    }
  }

  it('copies what .dockerignore keeps, with its modes, owned by root', async () => {
    const events: ProgressEvent[] = [];
    const { ref, engine } = await solve(build, events);
    await inSnapshot(engine, ref, async (dir) => {
      assert.equal(await readFile(join(dir, 'listing'), 'utf8'), 'data.txt\nrun.sh\n');
      const script = await stat(join(dir, 'srv', 'run.sh'));
      assert.deepEqual([script.mode & 0o777, script.uid, script.gid], [0o755, 0, 0]);
    });
  });

  it('takes an unchanged context from the cache by content, and reruns only what a changed file reaches', async () => {
    const cached: ProgressEvent[] = [];
    await solve(build, cached);
    // The context is read (its content keys the copy); every step is shown cached.
    assert.deepEqual(cached.filter((e) => e.completed !== undefined).map((e) => [e.name, e.cached === true]), [['source', false], ['source', true], ['file', true], ['exec', true]]);

    await writeFile(join(contextDir, 'app', 'data.txt'), 'two\n');
    await delay(150);
    const rebuilt: ProgressEvent[] = [];
    const { ref, engine } = await solve(build, rebuilt);
    const ran = rebuilt.filter((e) => e.completed !== undefined && e.cached !== true).map((e) => e.name);
    // The image source was loaded from the cache; the local source always runs (it is read in place).
    assert.deepEqual(ran.sort(), ['exec', 'file', 'source']);
    await inSnapshot(engine, ref, async (dir) => assert.equal(await readFile(join(dir, 'srv', 'data.txt'), 'utf8'), 'two\n'));
  });

  it('writes a plain COPY as its layer, putting no file on disk until a step mounts it', async () => {
    const copyOnly = image(user.image)
      .file(fileActions().copy(local('context'), 'app/', '/only/', { dirContentsOnly: true, createDestPath: true, allowWildcard: true }));
    const { ref, engine } = await solve(copyOnly, []);
    assert.ok(ref.snapshot !== undefined);
    const snapshotter = engineSnapshotter(engine);
    assert.notEqual((await snapshotter.contentDir(ref.snapshot)).packed, undefined, 'the COPY snapshot is its layer blob only');
    await inSnapshot(engine, ref, async (dir) => {
      assert.equal(await readFile(join(dir, 'only', 'run.sh'), 'utf8'), '#!/bin/sh\necho run\n');
      const script = await stat(join(dir, 'only', 'run.sh'));
      assert.deepEqual([script.mode & 0o777, script.uid, script.gid], [0o755, 0, 0]);
      await assert.rejects(stat(join(dir, 'only', 'secret.txt')), { code: 'ENOENT' });
    });
    assert.equal((await snapshotter.contentDir(ref.snapshot)).packed, undefined, 'a view over it unpacked it');
  });

  it('writes a COPY onto scratch as its layer in a store that has never built anything', async () => {
    const fresh = await tempDir('ops-file-fresh-root');
    const { ref, engine } = await solve(scratch().file(fileActions().copy(local('context'), 'app/data.txt', '/data.txt', { createDestPath: true })), [], fresh);
    assert.ok(ref.snapshot !== undefined);
    assert.notEqual((await engineSnapshotter(engine).contentDir(ref.snapshot)).packed, undefined);
    await inSnapshot(engine, ref, async (dir) => assert.equal(await readFile(join(dir, 'data.txt'), 'utf8'), 'two\n'));
  });

  it('writes a COPY over another COPY without unpacking either, merging into its directory', async () => {
    const chain = image(user.image)
      .file(fileActions().copy(local('context'), 'app/data.txt', '/chain/data.txt', { createDestPath: true }))
      .file(fileActions().copy(local('context'), 'app/run.sh', '/chain/bin/', { createDestPath: true }));
    const { ref, engine } = await solve(chain, []);
    assert.ok(ref.snapshot !== undefined);
    const snapshotter = engineSnapshotter(engine);
    const top = await snapshotter.contentDir(ref.snapshot);
    assert.ok(top.packed !== undefined && top.parent !== undefined);
    assert.notEqual((await snapshotter.contentDir(top.parent)).packed, undefined, 'the first COPY is still its layer blob');
    await inSnapshot(engine, ref, async (dir) => {
      assert.equal(await readFile(join(dir, 'chain', 'data.txt'), 'utf8'), 'two\n');
      assert.equal(await readFile(join(dir, 'chain', 'bin', 'run.sh'), 'utf8'), '#!/bin/sh\necho run\n');
      assert.ok((await stat(join(dir, 'bin', 'busybox'))).isFile());
    });
  });

  /** Whether snapshot `key` was committed as its layer blob (lazy), whether or not it is unpacked by now. */
  async function writtenAsLayer(engine: ImageEngine, key: string): Promise<boolean> {
    const snapshotter = engineSnapshotter(engine);
    const kept = await readKeptLayer(engine.content, snapshotter, key);
    return kept !== undefined && (await snapshotter.lazyLayers()).some((layer) => layer.digest === kept.descriptor.digest);
  }

  /** A stage writing /out/f (`bytes` long, mode 640, owned by 1000), copied into a fresh tree with a RUN after it. */
  function copiedFromStage(bytes: number): State {
    const stage = image(user.image).run({ args: ['sh', '-c', `mkdir /out && head -c ${bytes} /dev/zero > /out/f && chmod 640 /out/f && chown 1000:1000 /out/f`] }).root();
    return image(user.image)
      .file(fileActions().copy(stage, '/out/', '/got/', { dirContentsOnly: true, createDestPath: true }))
      .run({ args: ['sh', '-c', 'stat -c "%s %a %u" /got/f > /seen'] }).root();
  }

  it('writes a small COPY from a stage as its layer even when a RUN mounts it next, and the RUN sees the files', async () => {
    const { ref, engine } = await solve(copiedFromStage(100), []);
    assert.ok(ref.snapshot !== undefined);
    const copied = (await engineSnapshotter(engine).contentDir(ref.snapshot)).parent;
    assert.ok(copied !== undefined);
    assert.ok(await writtenAsLayer(engine, copied), 'the COPY was committed as its layer');
    await inSnapshot(engine, ref, async (dir) => assert.equal(await readFile(join(dir, 'seen'), 'utf8'), '100 640 1000\n'));
  });

  it('copies a large tree from a stage on disk when a RUN mounts it next', async () => {
    const { ref, engine } = await solve(copiedFromStage(600 * 1024), []);
    assert.ok(ref.snapshot !== undefined);
    const copied = (await engineSnapshotter(engine).contentDir(ref.snapshot)).parent;
    assert.ok(copied !== undefined);
    assert.equal(await writtenAsLayer(engine, copied), false, 'unpacking the layer again would cost more than the copy');
    await inSnapshot(engine, ref, async (dir) => assert.equal(await readFile(join(dir, 'seen'), 'utf8'), `${600 * 1024} 640 1000\n`));
  });
});
