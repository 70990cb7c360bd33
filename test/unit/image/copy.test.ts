// The generic image copier: order (children before parents), platform selection, skipping
// what the target has, whole-blob retry on transient failures, refusal of bad bytes. The
// source and target are the real OCI layout and local store; a wrapper injects the faults.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { OciLayoutSource } from '../../../src/archive/oci-layout.js';
import { ImageStore, LocalContentStore, StoreImageTarget, digestBytes } from '../../../src/content/index.js';
import {
  copyImage, MediaTypes, type Descriptor, type ImageIndex, type ImageSource, type ImageTarget, type TransferEvent,
} from '../../../src/image/index.js';
import { KilnError } from '../../../src/util/errors.js';
import { buildBusyboxImage } from '../../helpers/busybox-image.js';
import { kilnRejection } from '../../helpers/errors.js';
import { rootOf } from '../../helpers/archive-fixtures.js';
import { writeJsonBlob } from '../../helpers/oci-layout.js';
import { tempDir } from '../../helpers/tmp.js';

const work = await tempDir('copy');
const busybox = await buildBusyboxImage(join(work, 'layout'));
const manifestDesc = rootOf(busybox);
const layout = await OciLayoutSource.open(busybox.layoutDir);

/** A two-platform index over the busybox manifest; the arm64 entry's blobs do not exist. */
const missingArm: Descriptor = { mediaType: MediaTypes.ociManifest, digest: digestBytes('absent'), size: 6, platform: { os: 'linux', architecture: 'arm64' } };
const indexDesc = await writeJsonBlob(busybox.layoutDir, MediaTypes.ociIndex, {
  schemaVersion: 2,
  mediaType: MediaTypes.ociIndex,
  manifests: [{ ...manifestDesc, platform: { os: 'linux', architecture: 'amd64' } }, missingArm],
} satisfies ImageIndex);

async function freshStore(name: string): Promise<{ content: LocalContentStore; images: ImageStore; root: string }> {
  const root = await tempDir(`copy-${name}`);
  return { root, content: new LocalContentStore(root), images: new ImageStore(root) };
}

/** Records the order in which a target receives writes, then passes them on. */
function recording(target: ImageTarget, log: string[]): ImageTarget {
  return {
    location: target.location,
    concurrency: target.concurrency,
    exists: (d) => target.exists(d),
    writeBlob: async (d, content) => {
      await target.writeBlob(d, content);
      log.push(`blob ${d.mediaType}`);
    },
    writeManifest: async (d, bytes, root) => {
      await target.writeManifest(d, bytes, root);
      log.push(`manifest ${d.mediaType} root=${root}`);
    },
    finish: async (d) => {
      await target.finish(d);
      log.push('finish');
    },
  };
}

/** A source whose first `failures` fetches of layers fail the way a dropped connection does. */
function flaky(source: ImageSource, failures: number): ImageSource & { fetches: number } {
  const flakySource = {
    location: source.location,
    fetches: 0,
    async fetch(desc: Descriptor): Promise<Readable> {
      if (desc.mediaType.includes('layer')) {
        flakySource.fetches++;
        if (flakySource.fetches <= failures) {
          const broken = new Readable({ read() {} });
          broken.push(Buffer.alloc(100));
          setImmediate(() => broken.destroy(new KilnError('UNAVAILABLE', 'connection reset by peer')));
          return broken;
        }
      }
      return source.fetch(desc);
    },
  };
  return flakySource;
}

describe('copyImage', () => {
  it('writes config and layers before the manifest, and names the image last', async () => {
    const store = await freshStore('order');
    const log: string[] = [];
    const target = recording(new StoreImageTarget(store.content, store.images, { names: ['example.com/bb:1'] }), log);
    const result = await copyImage(layout, target, manifestDesc);
    assert.deepEqual(log.slice(-2), [`manifest ${MediaTypes.ociManifest} root=true`, 'finish']);
    assert.deepEqual(new Set(log.slice(0, 2)), new Set([`blob ${MediaTypes.ociConfig}`, `blob ${MediaTypes.ociLayerGzip}`]));
    assert.equal(result.written, 2);
    assert.equal(result.config?.digest, busybox.configDigest);
    assert.equal((await store.images.get('example.com/bb:1'))?.target.digest, busybox.manifestDigest);
  });

  it('skips blobs the target has', async () => {
    const store = await freshStore('skip');
    const target = new StoreImageTarget(store.content, store.images);
    await copyImage(layout, target, manifestDesc);
    const events: TransferEvent[] = [];
    const again = await copyImage(layout, target, manifestDesc, { onEvent: (e) => events.push(e) });
    assert.equal(again.written, 0);
    assert.equal(again.skipped, 2);
    assert.deepEqual(events.map((e) => e.kind), ['exists', 'exists']);
  });

  it('copies only the platform asked for out of an index', async () => {
    const store = await freshStore('platform');
    const result = await copyImage(layout, new StoreImageTarget(store.content, store.images), indexDesc, {
      platform: { os: 'linux', architecture: 'amd64' },
    });
    assert.equal(result.root.digest, busybox.manifestDigest);
    assert.equal(result.index?.digest, indexDesc.digest);
    assert.equal(await store.content.info(missingArm.digest), undefined);
    const none = await kilnRejection(copyImage(layout, new StoreImageTarget(store.content, store.images), indexDesc, {
      platform: { os: 'linux', architecture: 's390x' },
    }));
    assert.equal(none.code, 'NOT_FOUND');
    assert.match(none.hint ?? '', /linux\/amd64, linux\/arm64/);
  });

  it('retries a blob whose transfer broke, and reports the retry', async () => {
    const store = await freshStore('retry');
    const source = flaky(layout, 2);
    const events: TransferEvent[] = [];
    await copyImage(source, new StoreImageTarget(store.content, store.images), manifestDesc, {
      retry: { attempts: 3, baseDelayMs: 1 },
      onEvent: (e) => events.push(e),
    });
    assert.equal(source.fetches, 3);
    assert.deepEqual(events.filter((e) => e.kind === 'retry').map((e) => (e.kind === 'retry' ? e.attempt : 0)), [2, 3]);
    assert.ok(await store.content.info(busybox.layerDigest));
  });

  it('gives up after the last attempt and leaves no partial blob or name', async () => {
    const store = await freshStore('give-up');
    const target = new StoreImageTarget(store.content, store.images, { names: ['example.com/bb:1'] });
    const err = await kilnRejection(copyImage(flaky(layout, 10), target, manifestDesc, { retry: { attempts: 2, baseDelayMs: 1 } }));
    assert.equal(err.code, 'UNAVAILABLE');
    assert.equal(await store.content.info(busybox.layerDigest), undefined);
    assert.equal(await store.images.get('example.com/bb:1'), undefined);
    assert.deepEqual(await readdir(join(store.root, 'content', 'ingest')), []);
  });

  it('refuses bytes that do not match the descriptor, naming the source, without retrying', async () => {
    const store = await freshStore('tamper');
    const tampered: ImageSource & { fetches: number } = {
      location: 'a tampering source',
      fetches: 0,
      async fetch(desc) {
        if (!desc.mediaType.includes('layer')) return layout.fetch(desc);
        tampered.fetches++;
        return Readable.from([Buffer.alloc(desc.size, 1)]);
      },
    };
    const err = await kilnRejection(copyImage(tampered, new StoreImageTarget(store.content, store.images, { names: ['example.com/bb:1'] }), manifestDesc));
    assert.equal(err.code, 'FAILED_PRECONDITION');
    assert.match(err.message, new RegExp(`${busybox.layerDigest} from a tampering source`));
    assert.equal(tampered.fetches, 1);
    assert.equal(await store.content.info(busybox.layerDigest), undefined);
    assert.equal(await store.images.get('example.com/bb:1'), undefined);
  });
});
