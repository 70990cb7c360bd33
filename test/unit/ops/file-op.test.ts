// COPY through the solver: what .dockerignore keeps is copied with its modes, owned by root; an
// unchanged context (a new build, a new context session) hits the cache by content, and one
// changed file reruns the copy and what follows it only. Plain COPYs are planned as their
// layers, from the context and from a stage: written as a blob, or into their snapshot when a
// RUN mounts them next.
import assert from 'node:assert/strict';
import { access, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
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

  it('writes a COPY from a stage that a RUN mounts next into its snapshot from its plan, with every attribute', async () => {
    const stage = image(user.image).run({ args: ['sh', '-c', [
      'mkdir -p /out/sub && echo hi > /out/f && chmod 640 /out/f && chown 1000:1000 /out/f',
      'ln -s f /out/link && chmod 700 /out/sub && chown 1000:1001 /out/sub && touch -d @1000000000 /out/sub',
    ].join(' && ')] }).root();
    const state = image(user.image)
      .file(fileActions().copy(stage, '/out/', '/got/', { dirContentsOnly: true, createDestPath: true }))
      .run({ args: ['sh', '-c', 'readlink /got/link > /seen'] }).root();
    const { ref, engine } = await solve(state, []);
    assert.ok(ref.snapshot !== undefined);
    const snapshotter = engineSnapshotter(engine);
    const copied = await snapshotter.contentDir(ref.snapshot).then((run) => run.parent);
    assert.ok(copied !== undefined);
    const own = await snapshotter.contentDir(copied);
    assert.equal(own.packed, undefined);
    assert.equal(await readKeptLayer(engine.content, snapshotter, copied), undefined, 'no layer blob was written for it');
    // Its plan's entries are kept beside it, which only the planned path writes (the copy on disk does not).
    await access(await snapshotter.derivedFile(copied, 'layer-entries.json'));
    // Only the layer's entries, as an upper dir holds them.
    assert.deepEqual((await readdir(join(own.dir, 'got'))).sort(), ['f', 'link', 'sub']);
    await inSnapshot(engine, ref, async (dir) => {
      assert.equal(await readFile(join(dir, 'seen'), 'utf8'), 'f\n');
      const sub = await stat(join(dir, 'got', 'sub'));
      assert.deepEqual([sub.mode & 0o7777, sub.uid, sub.gid, sub.mtimeMs], [0o700, 1000, 1001, 1_000_000_000_000]);
      const file = await stat(join(dir, 'got', 'f'));
      assert.deepEqual([file.mode & 0o7777, file.uid, file.gid, file.size], [0o640, 1000, 1000, 3]);
    });
  });

  it('writes a COPY from a stage that nothing mounts as its layer blob, read in place from the stage', async () => {
    const stage = image(user.image).run({ args: ['sh', '-c', 'mkdir /out && echo x > /out/x'] }).root();
    const { ref, engine } = await solve(image(user.image).file(fileActions().copy(stage, '/out/x', '/x', { createDestPath: true })), []);
    assert.ok(ref.snapshot !== undefined);
    assert.notEqual((await engineSnapshotter(engine).contentDir(ref.snapshot)).packed, undefined);
    await inSnapshot(engine, ref, async (dir) => assert.equal(await readFile(join(dir, 'x'), 'utf8'), 'x\n'));
  });
});
