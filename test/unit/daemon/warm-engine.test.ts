// A long-lived engine on a root other processes use too: what it keeps in memory (names,
// image documents, snapshot records) gives way to their tags, rmis and runs, and a container
// record torn by a power cut is read as a crash leftover rather than failing `ps`.
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { runContainer } from '../../../src/daemon/containers/run.js';
import { ContainerStore } from '../../../src/daemon/containers/store.js';
import { engineSnapshotter, openEngine } from '../../../src/daemon/images/engine.js';
import { findImage } from '../../../src/daemon/images/local.js';
import { canRunContainers, containerUser } from '../../helpers/kiln-env.js';
import { tempDir } from '../../helpers/tmp.js';

describe('container records', () => {
  it('reads an empty or cut-short record as none, and lists the others', async () => {
    const store = new ContainerStore(await tempDir('torn-record'));
    const base = { image: 'busybox:1', imageId: `sha256:${'a'.repeat(64)}` as const, created: new Date().toISOString(), state: { status: 'exited' as const, exitCode: 0 } };
    const config = { entrypoint: [], cmd: ['true'], env: [], workingDir: '/', user: '', network: 'none', autoRemove: false, openStdin: false };
    const whole = await store.create({ ...base, id: store.newId(), config }, 'whole');
    const emptied = await store.create({ ...base, id: store.newId(), config }, 'emptied', { durable: false });
    const cutShort = await store.create({ ...base, id: store.newId(), config }, 'cut-short', { durable: false });
    await writeFile(join(store.containerDir(emptied.id), 'container.json'), '');
    await writeFile(join(store.containerDir(cutShort.id), 'container.json'), '{"id":"ab');
    assert.equal(await store.get(emptied.id), undefined);
    assert.deepEqual((await store.list()).map((r) => r.name), ['whole']);
    assert.equal((await store.find('whole')).id, whole.id);
  });

  it('removeDeferred takes the record, files and name away at once; stale temp dirs of dead processes are swept', async () => {
    const root = await tempDir('deferred-record');
    const store = new ContainerStore(root);
    const base = { image: 'busybox:1', imageId: `sha256:${'a'.repeat(64)}` as const, created: new Date().toISOString(), state: { status: 'exited' as const, exitCode: 0 } };
    const config = { entrypoint: [], cmd: ['true'], env: [], workingDir: '/', user: '', network: 'none', autoRemove: true, openStdin: false };
    const record = await store.create({ ...base, id: store.newId(), config }, 'going', { durable: false });
    await mkdir(join(store.containerDir(record.id), 'bundle'));
    await writeFile(join(store.containerDir(record.id), 'bundle', 'config.json'), '{}');
    const { files } = store.removeDeferred(record);
    assert.equal(await store.get(record.id), undefined);
    assert.deepEqual(await store.list(), []);
    // The name is free again at once.
    assert.equal((await store.create({ ...base, id: store.newId(), config }, 'going')).name, 'going');
    await files;
    // A dead process's half-deleted container is swept; this process's own is in use.
    const dead = join(store.dir, `tmp-999999999-${'b'.repeat(64)}`);
    const ours = join(store.dir, `tmp-${process.pid}-${'c'.repeat(64)}`);
    await mkdir(join(dead, 'bundle'), { recursive: true });
    await mkdir(ours);
    assert.equal(await store.removeStaleTempDirs(), 1);
    assert.deepEqual((await readdir(store.dir)).filter((name) => name.startsWith('tmp-')), [`tmp-${process.pid}-${'c'.repeat(64)}`]);
    assert.equal(await new ContainerStore(join(root, 'fresh')).removeStaleTempDirs(), 0);
  });
});

const discard = (): Writable => new Writable({ write: (_chunk, _encoding, done) => done() });

describe('two engines on one root', { skip: canRunContainers ? false : 'needs root to run containers' }, async () => {
  const user = await containerUser('warm-engine');
  const daemon = await openEngine({ root: user.root });
  const cli = await openEngine({ root: user.root });
  after(async () => {
    await daemon.close();
    await cli.close();
  });

  it('sees a tag and an rmi made by the other', async () => {
    const { image } = await findImage(daemon, 'busybox:1');
    const [record] = image.records;
    assert.ok(record !== undefined);
    await cli.images.put({ name: 'docker.io/library/other:2', target: record.target });
    assert.equal((await findImage(daemon, 'other:2')).image.id, image.id);
    await cli.images.delete(record.name);
    await assert.rejects(findImage(daemon, 'busybox:1'), { code: 'NOT_FOUND', message: 'No such image: busybox:1' });
    await cli.images.put({ name: record.name, target: record.target });
    assert.equal((await findImage(daemon, 'busybox:1')).image.id, image.id);
  });

  it('runs --rm again and again with one snapshotter, while the other engine makes and drops snapshots', async () => {
    const io = { stdout: discard(), stderr: discard() };
    const run = (engine: typeof daemon) => runContainer(engine, { image: 'busybox:1', args: ['true'], autoRemove: true, network: 'none' }, io);
    assert.equal(await run(daemon), 0);
    assert.equal(await run(cli), 0);
    await engineSnapshotter(cli).prepare('scratch-of-the-cli');
    assert.equal(await run(daemon), 0);
    assert.equal((await engineSnapshotter(daemon).stat('scratch-of-the-cli')).kind, 'active');
    await engineSnapshotter(cli).remove('scratch-of-the-cli');
    await assert.rejects(engineSnapshotter(daemon).stat('scratch-of-the-cli'), { code: 'NOT_FOUND' });
    assert.equal(await run(daemon), 0);
    // Nothing of the runs is left: no container, no active snapshot; their files once the
    // engines' background deletions are done.
    assert.deepEqual(await new ContainerStore(user.root).list(), []);
    assert.deepEqual((await engineSnapshotter(daemon).list()).filter((info) => info.kind !== 'committed'), []);
    await Promise.all([daemon.background.settled(), cli.background.settled()]);
    assert.deepEqual(await readdir(join(user.root, 'containers')), []);
    assert.deepEqual((await readdir(join(user.root, 'snapshots'))).filter((name) => name.startsWith('tmp-')), []);
  });
});
