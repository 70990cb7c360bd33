// The local volume store and the volume commands' rules: creation on first use, listing only
// whole volumes, in-use refusal and prune.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createVolume, pruneVolumes, removeVolume, volumeUsers } from '../../../src/daemon/volumes/commands.js';
import { anonymousVolumeLabel, VolumeStore, validVolumeName } from '../../../src/daemon/volumes/store.js';
import { ContainerStore } from '../../../src/daemon/containers/store.js';
import { kilnRejection } from '../../helpers/errors.js';
import { tempDir } from '../../helpers/tmp.js';

describe('VolumeStore', () => {
  it('creates a volume once, lists whole volumes by name and removes them', async () => {
    const root = await tempDir('volume-store');
    const store = new VolumeStore(root);
    const first = await store.ensure('web', { a: 'b' });
    assert.equal(first.created, true);
    const again = await store.ensure('web');
    assert.deepEqual(again, { volume: first.volume, created: false });
    await store.ensure('db');
    // A directory without metadata (a creator that died) is not a volume until ensured again.
    await mkdir(join(store.dir, 'half', '_data'), { recursive: true });
    assert.deepEqual((await store.list()).map((v) => v.name), ['db', 'web']);
    assert.equal((await store.ensure('half')).created, true);
    await store.remove('web');
    assert.deepEqual((await store.list()).map((v) => v.name), ['db', 'half']);
    assert.equal((await kilnRejection(store.find('web'))).code, 'NOT_FOUND');
    assert.equal((await kilnRejection(store.ensure('../x'))).code, 'INVALID_ARGUMENT');
    assert.deepEqual(['ab', 'a', 'a/b', '.x', 'x y', 'A_b.c-1'].map(validVolumeName), [true, false, false, false, false, true]);
  });
});

describe('volume commands', () => {
  it('refuses to remove a volume a container record mounts, and prunes only unused ones', async () => {
    const root = await tempDir('volume-commands');
    const named = await createVolume(root, 'named');
    const anonymous = await createVolume(root, undefined);
    assert.ok(anonymousVolumeLabel in anonymous.labels);
    const used = await createVolume(root, 'used');
    const containers = new ContainerStore(root);
    const id = containers.newId();
    await containers.create({
      id, image: 'x', imageId: `sha256:${'0'.repeat(64)}`, created: new Date().toISOString(), state: { status: 'exited', exitCode: 0 },
      config: {
        entrypoint: [], cmd: ['true'], env: [], workingDir: '/', user: '', network: 'none', autoRemove: false, openStdin: false,
        mounts: [{ type: 'volume', name: used.name, destination: '/d', readonly: false, anonymous: false, noCopy: false }],
      },
    }, 'c1');
    assert.deepEqual(await volumeUsers(root), new Map([['used', [id]]]));
    const refused = await kilnRejection(removeVolume(root, 'used'));
    assert.deepEqual([refused.code, refused.message], ['CONFLICT', `remove used: volume is in use - [${id}]`]);
    await writeFile(join(new VolumeStore(root).dataDir(anonymous.name), 'f'), '12345');
    assert.deepEqual(await pruneVolumes(root), { deleted: [anonymous.name], reclaimedBytes: 5 });
    assert.deepEqual(await pruneVolumes(root, { all: true }), { deleted: [named.name], reclaimedBytes: 0 });
    assert.equal((await kilnRejection(removeVolume(root, 'named'))).code, 'NOT_FOUND');
    await removeVolume(root, 'named', { force: true });
  });
});
