// The merge op through the solver: an upper input's layers land on the lower input with their
// owners and modes, a whiteout in them hides the lower's file, and a changed lower reruns the
// merge only (the upper's own steps stay cached).
import assert from 'node:assert/strict';
import { access, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { engineSnapshotter, openEngine, type ImageEngine } from '../../../src/daemon/images/engine.js';
import { fileActions, image, marshal, merge, scratch, type State } from '../../../src/llb/index.js';
import { buildWorkDir, loadDefinition, snapshotCodec, type SnapshotRef } from '../../../src/ops/index.js';
import { mountAll, unmountAll } from '../../../src/snapshot/index.js';
import { RecordCacheManager, Solver, type ProgressEvent } from '../../../src/solver/index.js';
import { canRunContainers, containerUser } from '../../helpers/kiln-env.js';

describe('merge op', { skip: canRunContainers ? false : 'needs root for mounts' }, async () => {
  const user = await containerUser('ops-merge');
  let engine: ImageEngine | undefined;
  after(async () => {
    await engine?.close();
  });

  const upper = scratch()
    .file(fileActions().mkdir('/opt/tool', 0o750, { makeParents: true, owner: { user: 1000, group: 1000 } }).mkfile('/opt/tool/run', 0o755, 'run\n').mkfile('/gone', 0o644, 'x'))
    .file(fileActions().rm('/gone', { allowNotFound: false }));
  const lower = (text: string): State => image(user.image).file(fileActions().mkfile('/gone', 0o644, 'lower\n').mkfile('/lower.txt', 0o600, text));

  async function solve(state: State, events: ProgressEvent[]): Promise<SnapshotRef> {
    engine ??= await openEngine({ root: user.root });
    const snapshotter = engineSnapshotter(engine);
    const ops = { engine, snapshotter, runcRoot: join(user.root, 'build-runc'), workDir: buildWorkDir(user.root) };
    const edge = loadDefinition(ops, marshal(state));
    assert.ok(edge !== undefined);
    return new Solver(new RecordCacheManager(user.root, snapshotCodec(snapshotter)), { jobs: 2 }).solve(edge, { progress: (e) => events.push(e) });
  }

  async function inSnapshot<T>(ref: SnapshotRef, read: (dir: string) => Promise<T>): Promise<T> {
    assert.ok(ref.snapshot !== undefined && engine !== undefined);
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

  it('lays the upper layers on the lower with owners and modes, whiteouts hiding the lower\'s files', async () => {
    const ref = await solve(merge([lower('one\n'), upper]), []);
    await inSnapshot(ref, async (dir) => {
      assert.equal(await readFile(join(dir, 'lower.txt'), 'utf8'), 'one\n');
      assert.equal(await readFile(join(dir, 'opt', 'tool', 'run'), 'utf8'), 'run\n');
      const tool = await stat(join(dir, 'opt', 'tool'));
      assert.deepEqual([tool.mode & 0o7777, tool.uid, tool.gid], [0o750, 1000, 1000]);
      assert.equal((await stat(join(dir, 'opt', 'tool', 'run'))).mode & 0o7777, 0o755);
      await assert.rejects(access(join(dir, 'gone')), { code: 'ENOENT' }, 'the upper removed it, so the merge hides the lower\'s');
      await access(join(dir, 'bin', 'sh'));
    });
    assert.ok(engine !== undefined);
    const info = await engineSnapshotter(engine).stat(ref.snapshot as string);
    assert.ok(info.parent !== undefined, 'the merge is one snapshot on the lower input');
  });

  it('runs only the merge again when the lower input changes', async () => {
    const events: ProgressEvent[] = [];
    const ref = await solve(merge([lower('two\n'), upper]), events);
    const ran = events.filter((e) => e.completed !== undefined && e.cached !== true).map((e) => e.name).sort();
    assert.deepEqual(ran, ['file', 'merge']);
    await inSnapshot(ref, async (dir) => {
      assert.equal(await readFile(join(dir, 'lower.txt'), 'utf8'), 'two\n');
      assert.equal(await readFile(join(dir, 'opt', 'tool', 'run'), 'utf8'), 'run\n');
    });
  });
});
