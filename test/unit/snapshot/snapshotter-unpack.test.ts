// Unpack failures leave nothing behind: a diff ID mismatch, a stream that dies mid-way, an
// unsupported compression; and what a crashed unpack left is cleaned up.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import type { ContentStore } from '../../../src/content/index.js';
import { MediaTypes } from '../../../src/image/index.js';
import { chainIds, OverlaySnapshotter } from '../../../src/snapshot/index.js';
import { kilnRejection } from '../../helpers/errors.js';
import { makeStore } from './snapshotter-fixture.js';

const store = await makeStore([]);
const snapshotsDir = join(store.root, 'snapshots');

async function tempDirsLeft(): Promise<string[]> {
  return (await readdir(snapshotsDir)).filter((name) => name.startsWith('tmp-'));
}

/** The content store, except that reading `digest` fails after its first chunk. */
function dyingStore(digest: string): ContentStore {
  return {
    info: (d) => store.content.info(d),
    writer: (ref, expected) => store.content.writer(ref, expected),
    delete: (d) => store.content.delete(d),
    walk: (visit) => store.content.walk(visit),
    async read(desc, range) {
      const real = await store.content.read(desc, range);
      if (desc.digest !== digest) return real;
      return Readable.from((async function* () {
        for await (const chunk of real) {
          yield chunk as Buffer;
          real.destroy();
          throw new Error('simulated crash mid-layer');
        }
      })());
    },
  };
}

test('a diff ID mismatch is refused and leaves no snapshot', async () => {
  const snapshotter = new OverlaySnapshotter(store.root);
  const wrong = [store.diffIds[0], store.diffIds[0]] as typeof store.diffIds;
  const err = await kilnRejection(snapshotter.unpack(store.content, store.layers, wrong));
  assert.equal(err.code, 'INVALID_ARGUMENT');
  assert.match(err.message, /diff ID/);
  // The good bottom layer was kept; nothing of the bad one.
  assert.deepEqual((await snapshotter.list()).map((i) => i.key), [chainIds(store.diffIds)[0]]);
  assert.deepEqual(await tempDirsLeft(), []);
});

test('an unpack that dies mid-layer commits nothing for that layer', async () => {
  const snapshotter = new OverlaySnapshotter(store.root);
  const second = store.layers[1];
  assert.ok(second !== undefined);
  const dying = dyingStore(second.digest);
  await assert.rejects(snapshotter.unpack(dying, store.layers, store.diffIds));
  assert.deepEqual((await snapshotter.list()).map((i) => i.key), [chainIds(store.diffIds)[0]]);
  assert.deepEqual(await tempDirsLeft(), []);
  // The real store still unpacks it, reusing the bottom layer.
  assert.equal(await snapshotter.unpack(store.content, store.layers, store.diffIds), chainIds(store.diffIds)[1]);
});

test('temp dirs of a dead writer are removed by cleanup, those of live ones kept', async () => {
  const dead = spawnSync('true').pid;
  assert.ok(dead !== undefined);
  await mkdir(join(snapshotsDir, `tmp-${dead}-abc123`, 'fs'), { recursive: true });
  await mkdir(join(snapshotsDir, `tmp-${process.pid}-def456`));
  // A new snapshotter cleans up on first use, as a restarted daemon does.
  const snapshotter = new OverlaySnapshotter(store.root);
  await snapshotter.list();
  assert.deepEqual(await tempDirsLeft(), [`tmp-${process.pid}-def456`]);
  await mkdir(join(snapshotsDir, `tmp-${dead}-0ff1ce`));
  assert.deepEqual(await snapshotter.cleanup(), [`tmp-${dead}-0ff1ce`]);
  assert.deepEqual(await tempDirsLeft(), [`tmp-${process.pid}-def456`]);
});

test('zstd layers are refused clearly on a Node without zstd; counts must match', async () => {
  const snapshotter = new OverlaySnapshotter(store.root);
  const zstd = store.layers.map((l) => ({ ...l, mediaType: MediaTypes.ociLayerZstd }));
  const fresh = [`sha256:${'1'.repeat(64)}`] as typeof store.diffIds;
  const err = await kilnRejection(snapshotter.unpack(store.content, zstd.slice(0, 1), fresh));
  assert.equal(err.code, 'NOT_IMPLEMENTED');
  assert.match(err.message, /zstd/);
  assert.equal((await kilnRejection(snapshotter.unpack(store.content, store.layers, store.diffIds.slice(0, 1)))).code, 'INVALID_ARGUMENT');
});
