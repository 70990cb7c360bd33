// Lazy snapshots: committed as a layer blob, kept out of the disk until a mount over them
// needs the tree, then unpacked once (two mounts at once wait for one unpack); their blob is
// reported for GC to keep, and a blob that has gone anyway fails the mount clearly.
import assert from 'node:assert/strict';
import { lstat, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { LayerTarWriter, writeLayerFrom } from '../../../src/exporter/index.js';
import { OverlaySnapshotter, type Mount } from '../../../src/snapshot/index.js';
import { kilnRejection } from '../../helpers/errors.js';
import { tempDir } from '../../helpers/tmp.js';
import { makeStore, mountAt as mountIn, type Store } from './snapshotter-fixture.js';

const targets: string[] = [];
const store: Store = await makeStore(targets);
const snapshotter = new OverlaySnapshotter(store.root, { content: store.content });
const base = await snapshotter.unpack(store.content, store.layers, store.diffIds);

async function layerOf(files: Record<string, string>): Promise<{ layer: Awaited<ReturnType<typeof writeLayerFrom>> }> {
  const dir = await tempDir('lazy-source');
  const layer = await writeLayerFrom(store.content, async (out) => {
    const tar = new LayerTarWriter(out, undefined);
    await tar.described({ path: 'lazy', type: 'directory', mode: 0o755, uid: 0, gid: 0, mtimeMs: 0 });
    for (const [name, text] of Object.entries(files)) {
      await writeFile(join(dir, name), text);
      await tar.described({ path: `lazy/${name}`, type: 'file', mode: 0o640, uid: 7, gid: 8, mtimeMs: 1_000_000, size: text.length, source: join(dir, name) });
    }
    await tar.close();
  });
  return { layer };
}

function mountAt(name: string, mounts: Mount[]): Promise<string> {
  return mountIn(store, targets, name, mounts);
}

test('a lazy snapshot stays a blob until a mount over it unpacks it, once', async () => {
  const { layer } = await layerOf({ 'a.txt': 'alpha\n', 'b.txt': 'beta\n' });
  await snapshotter.commitLazy('lazy-1', base, { layer: layer.descriptor, diffId: layer.diffId });
  const packed = await snapshotter.contentDir('lazy-1');
  assert.deepEqual(packed.packed, { layer: layer.descriptor, diffId: layer.diffId });
  await assert.rejects(lstat(packed.dir), { code: 'ENOENT' });
  assert.ok((await snapshotter.lazyLayers()).some((d) => d.digest === layer.descriptor.digest));

  // Two mounts at once: one unpack, both see the tree over the base.
  const [one, two] = await Promise.all([snapshotter.prepare('over-lazy-1', 'lazy-1'), snapshotter.view('view-lazy-1', 'lazy-1')]);
  const merged = await mountAt('over-lazy-1', one ?? []);
  assert.equal(await readFile(join(merged, 'lazy/a.txt'), 'utf8'), 'alpha\n');
  const stats = await lstat(join(merged, 'lazy/b.txt'));
  assert.deepEqual([stats.mode & 0o7777, stats.uid, stats.gid, stats.mtimeMs], [0o640, 7, 8, 1_000_000]);
  assert.ok((await lstat(join(merged, 'bin/busybox'))).isFile(), 'the base shows through');
  assert.equal(await readFile(join(await mountAt('view-lazy-1', two ?? []), 'lazy/b.txt'), 'utf8'), 'beta\n');
  assert.equal((await snapshotter.contentDir('lazy-1')).packed, undefined);
});

test('a lazy snapshot whose blob has gone fails its mount with NOT_FOUND, and stays as it was', async () => {
  const { layer } = await layerOf({ 'c.txt': 'gamma\n' });
  await snapshotter.commitLazy('lazy-2', base, { layer: layer.descriptor, diffId: layer.diffId });
  await store.content.delete(layer.descriptor.digest);
  const err = await kilnRejection(snapshotter.prepare('over-lazy-2', 'lazy-2'));
  assert.equal(err.code, 'NOT_FOUND');
  assert.match(err.message, /no longer in the content store/);
  assert.notEqual((await snapshotter.contentDir('lazy-2')).packed, undefined);
  await assert.rejects(snapshotter.stat('over-lazy-2'), { code: 'NOT_FOUND' });
});

test('a snapshotter without a content store refuses to unpack a lazy snapshot', async () => {
  const { layer } = await layerOf({ 'd.txt': 'delta\n' });
  await snapshotter.commitLazy('lazy-3', base, { layer: layer.descriptor, diffId: layer.diffId });
  const blind = new OverlaySnapshotter(store.root);
  assert.equal((await kilnRejection(blind.unpackChain('lazy-3'))).code, 'INTERNAL');
});

test('a mount over a chain of lazy snapshots unpacks each of them', async () => {
  const layers = await Promise.all([['e.txt', 'epsilon\n'], ['f.txt', 'zeta\n'], ['g.txt', 'eta\n']].map(([name, text]) => layerOf({ [name as string]: text as string })));
  let parent = base;
  for (const [at, { layer }] of layers.entries()) {
    await snapshotter.commitLazy(`lazy-chain-${at}`, parent, { layer: layer.descriptor, diffId: layer.diffId });
    parent = `lazy-chain-${at}`;
  }
  const merged = await mountAt('over-lazy-chain', await snapshotter.prepare('over-lazy-chain', parent));
  assert.deepEqual(await Promise.all(['e', 'f', 'g'].map((name) => readFile(join(merged, `lazy/${name}.txt`), 'utf8'))), ['epsilon\n', 'zeta\n', 'eta\n']);
  for (let at = 0; at < layers.length; at++) assert.equal((await snapshotter.contentDir(`lazy-chain-${at}`)).packed, undefined);
});
