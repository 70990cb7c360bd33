// The walking differ of the copy fallback: the same changes as the overlay test, made in a
// full copy of the parent, found by comparing the two trees.
import assert from 'node:assert/strict';
import { lstat, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { writeSnapshotLayer } from '../../../src/exporter/index.js';
import { applyLayer, mountAll, unmountAll } from '../../../src/snapshot/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { mountsUnder } from '../snapshot/snapshotter-fixture.js';
import { baseLayerTar, changedSnapshot, describe, layerEntries, makeWorld } from './fixture.js';

// Registered first, so it runs before tempDir's removal of the root.
const root = { dir: '' };
after(async () => {
  await unmountAll(root.dir);
  assert.deepEqual(await mountsUnder(root.dir), []);
});
root.dir = await tempDir('exporter-copy');
const world = await makeWorld(root.dir, true);
const epoch = new Date('2024-01-01T00:00:00Z');

test('copy: the layer applied onto the parent gives the snapshot as its view shows it', async () => {
  assert.equal(await world.snapshotter.driver(), 'copy');
  await changedSnapshot(world, join(root.dir, 'mnt-a'), 'a-active', 'a');
  const layer = await writeSnapshotLayer(world.content, world.snapshotter, 'a', { sourceDateEpoch: epoch });
  assert.equal(layer.empty, false);
  const entries = await layerEntries(world.content, layer.descriptor);
  // The walking differ sees a replaced directory as its old children removed, not as opaque.
  assert.ok(entries.includes('file replaced/.wh.old'), entries.join('\n'));
  assert.ok(entries.includes('link bin/tool2 -> bin/tool'), entries.join('\n'));
  assert.ok(!entries.includes('file etc/keep'), 'an unchanged file is not in the layer');

  const applied = join(root.dir, 'applied-a');
  await mkdir(applied);
  await applyLayer(applied, Readable.from([await baseLayerTar()]));
  await applyLayer(applied, await world.content.read(layer.descriptor));
  const view = join(root.dir, 'view-a');
  await mkdir(view);
  await mountAll(await world.snapshotter.view('a-view', 'a'), view);
  try {
    assert.deepEqual(await describe(applied), await describe(view));
  } finally {
    await unmountAll(view);
  }
  assert.equal((await lstat(join(applied, 'bin/tool2'))).ino, (await lstat(join(applied, 'bin/tool'))).ino);
});

test('copy: a snapshot that changes nothing is an empty layer', async () => {
  await changedSnapshot(world, join(root.dir, 'mnt-e'), 'e-active', 'e', async () => undefined);
  const layer = await writeSnapshotLayer(world.content, world.snapshotter, 'e', { sourceDateEpoch: epoch });
  assert.equal(layer.empty, true);
  assert.deepEqual(await layerEntries(world.content, layer.descriptor), []);
});
