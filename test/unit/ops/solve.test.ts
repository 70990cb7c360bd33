// LLB through the solver onto real snapshots and runc: an image source and RUN steps build a
// committed snapshot; a second solve in a fresh engine takes it from the persistent cache and
// runs nothing; a failing step fails with BuildKit's message and its output, and leaves no
// snapshot or runc state behind.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { engineSnapshotter, openEngine, type ImageEngine } from '../../../src/daemon/images/engine.js';
import { image, marshal, marshalDefinition, parseDefinition, type State } from '../../../src/llb/index.js';
import { buildWorkDir, loadDefinition, snapshotCodec, type SnapshotRef } from '../../../src/ops/index.js';
import { mountAll, unmountAll } from '../../../src/snapshot/index.js';
import { RecordCacheManager, Solver, type ProgressEvent } from '../../../src/solver/index.js';
import { canRunContainers, containerUser } from '../../helpers/kiln-env.js';

describe('solving LLB on snapshots and runc', { skip: canRunContainers ? false : 'needs root for mounts and runc' }, async () => {
  const user = await containerUser('ops-solve');
  const engines: ImageEngine[] = [];
  after(async () => {
    for (const engine of engines) await engine.close();
  });

  async function solve(state: State, progress?: (event: ProgressEvent) => void): Promise<SnapshotRef> {
    const engine = await openEngine({ root: user.root });
    engines.push(engine);
    const snapshotter = engineSnapshotter(engine);
    const context = { engine, snapshotter, runcRoot: join(user.root, 'build-runc'), workDir: buildWorkDir(user.root) };
    // Through the wire format, as a definition from a client would come.
    const edge = loadDefinition(context, parseDefinition(marshalDefinition(marshal(state))));
    assert.ok(edge !== undefined);
    const solver = new Solver(new RecordCacheManager(user.root, snapshotCodec(snapshotter)), { jobs: 2 });
    return solver.solve(edge, progress === undefined ? {} : { progress });
  }

  async function readFrom(ref: SnapshotRef, path: string): Promise<string> {
    assert.ok(ref.snapshot !== undefined);
    const engine = await openEngine({ root: user.root });
    engines.push(engine);
    const snapshotter = engineSnapshotter(engine);
    const view = `view-${Date.now()}`;
    const target = join(user.root, 'mnt', view);
    await mkdir(target, { recursive: true });
    await mountAll(await snapshotter.view(view, ref.snapshot), target);
    try {
      return await readFile(join(target, path), 'utf8');
    } finally {
      await unmountAll(target);
      await snapshotter.remove(view);
    }
  }

  const built = image(user.image)
    .run({ args: ['sh', '-c', 'echo hi > /hello'] }).root()
    .withDir('/work')
    .run({ args: ['sh', '-c', 'cat /hello /hello > twice; mkdir -m 777 /out'] }).root()
    .run({ args: ['sh', '-c', 'id -u > /out/uid'], user: 'nobody' }).root();

  it('builds RUN steps on an image into a committed snapshot', async () => {
    const events: ProgressEvent[] = [];
    const result = await solve(built, (event) => events.push(event));
    assert.equal(await readFrom(result, 'work/twice'), 'hi\nhi\n');
    assert.equal(await readFrom(result, 'out/uid'), '65534\n');
    assert.equal(events.filter((e) => e.completed !== undefined && e.cached !== true && e.error === undefined).length, 4);
  });

  it('takes an unchanged build from the cache in a fresh engine, running nothing', async () => {
    const events: ProgressEvent[] = [];
    const again = await solve(built, (event) => events.push(event));
    assert.equal(await readFrom(again, 'work/twice'), 'hi\nhi\n');
    assert.deepEqual(events.map((e) => e.cached), [true, true, true, true]);
  });

  it('fails a step with its exit code and last output, leaving no snapshot or runc state', async () => {
    const failing = image(user.image).run({ args: ['sh', '-c', 'echo building; echo broken >&2; exit 3'] }).root();
    await assert.rejects(solve(failing), (err: Error & { code?: string; details?: { log?: string[] } }) => {
      assert.equal(err.code, 'FAILED_PRECONDITION');
      assert.match(err.message, /process "sh -c echo building; echo broken >&2; exit 3" did not complete successfully: exit code: 3/);
      // stdout and stderr come through two pipes: their lines keep their order within each only.
      assert.deepEqual([...(err.details?.log ?? [])].sort(), ['broken', 'building']);
      return true;
    });
    const engine = await openEngine({ root: user.root });
    engines.push(engine);
    assert.deepEqual((await engineSnapshotter(engine).list()).filter((info) => info.kind === 'active'), []);
    const { stdout } = await promisify(execFile)('runc', ['--root', join(user.root, 'build-runc'), 'list', '-q']);
    assert.equal(stdout.trim(), '');
  });
});
