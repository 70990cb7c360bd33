// The overlay differ on real overlayfs: a snapshot changed through its mount, diffed, and the
// layer applied onto the parent's content must give the tree the snapshot's view shows.
import assert from 'node:assert/strict';
import { lstat, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { writeSnapshotLayer } from '../../../src/exporter/index.js';
import { applyLayer, mountAll, unmountAll } from '../../../src/snapshot/index.js';
import { kilnRejection } from '../../helpers/errors.js';
import { tempDir } from '../../helpers/tmp.js';
import { mountsUnder } from '../snapshot/snapshotter-fixture.js';
import { baseLayerTar, changedSnapshot, describe, layerEntries, longName, makeWorld } from './fixture.js';

// Registered first, so it runs before tempDir's removal of the root.
const root = { dir: '' };
after(async () => {
  await unmountAll(root.dir);
  assert.deepEqual(await mountsUnder(root.dir), []);
});
root.dir = await tempDir('exporter-diff');
const world = await makeWorld(root.dir);
const epoch = new Date('2024-01-01T00:00:00Z');

/** The parent's content plus `layer`, applied the way a copy snapshotter would. */
async function applyOnBase(dir: string, layer: Parameters<typeof world.content.read>[0]): Promise<void> {
  await mkdir(dir);
  await applyLayer(dir, Readable.from([await baseLayerTar()]));
  await applyLayer(dir, await world.content.read(layer));
}

test('overlay: the layer applied onto the parent gives the snapshot as its view shows it', async () => {
  assert.equal(await world.snapshotter.driver(), 'overlay');
  await changedSnapshot(world, join(root.dir, 'mnt-a'), 'a-active', 'a');
  const layer = await writeSnapshotLayer(world.content, world.snapshotter, 'a', { sourceDateEpoch: epoch });
  assert.equal(layer.empty, false);
  assert.equal(layer.descriptor.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
  // Sorted by the changed path; a whiteout stands where the removed name would.
  assert.deepEqual(await layerEntries(world.content, layer.descriptor), [
    'directory bin/', 'file bin/tool', 'link bin/tool2 -> bin/tool',
    'directory deep/', `directory ${longName.slice(0, longName.lastIndexOf('/'))}/`, `file ${longName}`,
    'directory etc/', 'file etc/chmod', 'file etc/chown', 'file etc/.wh.gone', 'file etc/modify', 'file etc/new',
    'symlink link -> etc/keep', 'file .wh.olddir', 'fifo pipe',
    'directory replaced/', 'file replaced/.wh..wh..opq', 'file replaced/fresh',
  ]);

  const applied = join(root.dir, 'applied-a');
  await applyOnBase(applied, layer.descriptor);
  const view = join(root.dir, 'view-a');
  await mkdir(view);
  await mountAll(await world.snapshotter.view('a-view', 'a'), view);
  try {
    const expected = await describe(view);
    assert.deepEqual(await describe(applied), expected);
    assert.match(expected['(xattrs)'] ?? '', /user\.binary=0xff00fe/);
    assert.equal(expected['replaced/old'], undefined);
    assert.equal(expected['olddir'], undefined);
  } finally {
    await unmountAll(view);
  }
  const tool = await lstat(join(applied, 'bin/tool'));
  assert.equal((await lstat(join(applied, 'bin/tool2'))).ino, tool.ino, 'hard links stay one inode');
  assert.equal(await readFile(join(applied, longName), 'utf8'), 'a path longer than ustar holds\n');
  // Clamped to the epoch; the base's older times are kept.
  assert.equal((await lstat(join(applied, 'etc/new'))).mtime.getTime(), epoch.getTime());
  assert.equal((await lstat(join(applied, 'etc/keep'))).mtime.getTime(), new Date('2019-01-01T00:00:00Z').getTime());
});

test('overlay: equal changes with a SOURCE_DATE_EPOCH give equal diffIDs and blob digests', async () => {
  await changedSnapshot(world, join(root.dir, 'mnt-b'), 'b-active', 'b');
  await changedSnapshot(world, join(root.dir, 'mnt-c'), 'c-active', 'c');
  const b = await writeSnapshotLayer(world.content, world.snapshotter, 'b', { sourceDateEpoch: epoch });
  const c = await writeSnapshotLayer(world.content, world.snapshotter, 'c', { sourceDateEpoch: epoch });
  assert.equal(b.diffId, c.diffId);
  assert.deepEqual(b.descriptor, c.descriptor);
  assert.equal((await world.content.info(b.descriptor.digest))?.size, b.descriptor.size);
});

test('overlay: a snapshot that changes nothing is an empty but valid layer', async () => {
  await changedSnapshot(world, join(root.dir, 'mnt-e'), 'e-active', 'e', async () => undefined);
  const layer = await writeSnapshotLayer(world.content, world.snapshotter, 'e', { sourceDateEpoch: epoch });
  assert.equal(layer.empty, true);
  assert.equal(layer.uncompressedSize, 1024);
  const applied = join(root.dir, 'applied-e');
  await applyOnBase(applied, layer.descriptor);
  assert.deepEqual(Object.keys(await describe(applied)).sort(), [
    '(xattrs)', 'bin', 'etc', 'etc/chmod', 'etc/chown', 'etc/gone', 'etc/keep', 'etc/modify', 'olddir', 'olddir/a', 'replaced', 'replaced/old',
  ]);
  // The parent view the differ mounted is gone again.
  assert.deepEqual((await world.snapshotter.list()).filter((s) => s.key.startsWith('diff-base-')), []);
});

test('overlay: a directory only copied up for a changed file below it is not in the layer', async () => {
  await changedSnapshot(world, join(root.dir, 'mnt-m'), 'm-active', 'm', async (dir) => {
    await writeFile(join(dir, 'etc/modify'), 'changed in place\n');
  });
  const layer = await writeSnapshotLayer(world.content, world.snapshotter, 'm', { sourceDateEpoch: epoch });
  assert.deepEqual(await layerEntries(world.content, layer.descriptor), ['file etc/modify']);
});

test('a snapshot without a parent is all additions', async () => {
  const mnt = join(root.dir, 'mnt-s');
  await mkdir(mnt);
  await mountAll(await world.snapshotter.prepare('s-active'), mnt);
  try {
    await mkdir(join(mnt, 'only'));
    await writeFile(join(mnt, 'only/file'), 'x');
  } finally {
    await unmountAll(mnt);
  }
  await world.snapshotter.commit('s', 's-active');
  const layer = await writeSnapshotLayer(world.content, world.snapshotter, 's');
  const applied = join(root.dir, 'applied-s');
  await mkdir(applied);
  await applyLayer(applied, await world.content.read(layer.descriptor));
  assert.equal(await readFile(join(applied, 'only/file'), 'utf8'), 'x');
});

test('a failure on either side ends both: no view or mount is left behind', async () => {
  const refused = await kilnRejection(writeSnapshotLayer(world.content, world.snapshotter, 'a', { compressionLevel: 42 }));
  assert.equal(refused.code, 'INVALID_ARGUMENT');
  const missing = await kilnRejection(writeSnapshotLayer(world.content, world.snapshotter, 'no-such-snapshot'));
  assert.equal(missing.code, 'NOT_FOUND');
  const aborted = new AbortController();
  aborted.abort();
  const canceled = await kilnRejection(writeSnapshotLayer(world.content, world.snapshotter, 'a', { signal: aborted.signal }));
  assert.equal(canceled.code, 'CANCELED');
  assert.deepEqual((await world.snapshotter.list()).filter((s) => s.key.startsWith('diff-base-')), []);
  assert.deepEqual(await mountsUnder(root.dir), []);
});
