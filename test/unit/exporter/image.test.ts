// Committing images: the config and manifest written to the content store must parse as valid
// documents, list the layers and their diff IDs in order, and be reproducible with an epoch.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { digestBytes, LocalContentStore } from '../../../src/content/index.js';
import { commitImage, writeLayer, type ImageLayer } from '../../../src/exporter/index.js';
import { MediaTypes, parseImageConfig, parseManifest, type Descriptor } from '../../../src/image/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { kilnRejection } from '../../helpers/errors.js';
import { tarBuffer } from '../snapshot/tar-helpers.js';

const content = new LocalContentStore(await tempDir('exporter-image'));
const epoch = new Date('2024-01-01T00:00:00Z');
const platform = { architecture: 'amd64', os: 'linux' };

async function layerOf(name: string): Promise<ImageLayer> {
  const tar = await tarBuffer([{ name, content: `${name}\n`, mtime: epoch }]);
  const { descriptor, diffId } = await writeLayer(content, Readable.from([tar]));
  return { descriptor, diffId };
}

async function readJson(desc: Descriptor): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await content.read(desc)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

test('writeLayer: the diffID is the digest of the tar, the blob its gzip', async () => {
  const tar = await tarBuffer([{ name: 'a', content: 'a\n', mtime: epoch }]);
  const layer = await writeLayer(content, Readable.from([tar]));
  assert.equal(layer.diffId, digestBytes(tar));
  assert.equal(layer.uncompressedSize, tar.length);
  assert.equal(layer.empty, false);
  const blob = await readJson(layer.descriptor);
  assert.deepEqual([blob[0], blob[1]], [0x1f, 0x8b]);
  assert.equal(blob.length, layer.descriptor.size);
});

test('an image from scratch: valid documents, layers and diff IDs in order, config changes applied', async () => {
  const layers = [await layerOf('one'), await layerOf('two')];
  const image = await commitImage(content, {
    platform, layers, sourceDateEpoch: epoch,
    changes: { env: ['PATH=/bin', 'A=1'], cmd: ['sh'], workingDir: '/work', labels: { x: 'y' }, exposedPorts: ['80/tcp'], volumes: ['/data'] },
    history: [
      { created_by: 'COPY one /' },
      { created_by: 'ENV A=1', empty_layer: true },
      { created_by: 'COPY two /' },
    ],
  });
  assert.equal(image.manifest.mediaType, MediaTypes.ociManifest);
  const manifest = parseManifest(await readJson(image.manifest));
  assert.deepEqual(manifest.config, image.config);
  assert.deepEqual(manifest.layers, layers.map((l) => l.descriptor));
  const config = parseImageConfig(await readJson(image.config));
  assert.deepEqual(config.rootfs.diff_ids, layers.map((l) => l.diffId));
  assert.equal(config.created, '2024-01-01T00:00:00Z');
  assert.equal(config.architecture, 'amd64');
  assert.deepEqual(config.config, {
    Env: ['PATH=/bin', 'A=1'], Cmd: ['sh'], WorkingDir: '/work', Labels: { x: 'y' }, ExposedPorts: { '80/tcp': {} }, Volumes: { '/data': {} },
  });
  assert.deepEqual(config.history?.map((h) => [h.created, h.empty_layer ?? false]), [
    ['2024-01-01T00:00:00Z', false], ['2024-01-01T00:00:00Z', true], ['2024-01-01T00:00:00Z', false],
  ]);

  // Built on: base layers first, Docker layer types renamed, env merged by key, history appended.
  const base = { manifest, config };
  const third = await layerOf('three');
  const child = await commitImage(content, {
    base, layers: [third], sourceDateEpoch: epoch,
    changes: { env: ['A=2', 'B=3'], labels: { z: 'w' }, exposedPorts: ['443/tcp'] },
    history: [{ created_by: 'RUN three' }],
  });
  const childConfig = parseImageConfig(await readJson(child.config));
  assert.deepEqual(childConfig.rootfs.diff_ids, [...layers, third].map((l) => l.diffId));
  assert.deepEqual(childConfig.config?.Env, ['PATH=/bin', 'A=2', 'B=3']);
  assert.deepEqual(childConfig.config?.Labels, { x: 'y', z: 'w' });
  assert.deepEqual(Object.keys(childConfig.config?.ExposedPorts ?? {}), ['443/tcp', '80/tcp']);
  assert.equal(childConfig.history?.length, 4);
  const childManifest = parseManifest(await readJson(child.manifest));
  assert.deepEqual(childManifest.layers, [...layers, third].map((l) => l.descriptor));

  // The same inputs and epoch: the same image.
  const again = await commitImage(content, {
    base, layers: [third], sourceDateEpoch: epoch,
    changes: { env: ['A=2', 'B=3'], labels: { z: 'w' }, exposedPorts: ['443/tcp'] },
    history: [{ created_by: 'RUN three' }],
  });
  assert.deepEqual(again, child);
});

test('a base with Docker layer types becomes an OCI manifest with OCI layer types', async () => {
  const one = await layerOf('docker');
  const dockerLayer = { ...one.descriptor, mediaType: MediaTypes.dockerLayerGzip };
  const image = await commitImage(content, {
    base: {
      manifest: { schemaVersion: 2, mediaType: MediaTypes.dockerManifest, config: one.descriptor, layers: [dockerLayer] },
      config: { architecture: 'arm64', os: 'linux', variant: 'v8', rootfs: { type: 'layers', diff_ids: [one.diffId] } },
    },
    layers: [], sourceDateEpoch: epoch, changes: { cmd: ['true'] }, history: [{ created_by: 'CMD true', empty_layer: true }],
  });
  const manifest = parseManifest(await readJson(image.manifest));
  assert.equal(manifest.layers[0]?.mediaType, MediaTypes.ociLayerGzip);
  const config = parseImageConfig(await readJson(image.config));
  assert.equal(config.variant, 'v8');
  assert.deepEqual(config.config, { Cmd: ['true'] });
});

test('invalid inputs are KilnErrors', async () => {
  const noPlatform = await kilnRejection(commitImage(content, { layers: [] }));
  assert.equal(noPlatform.code, 'INVALID_ARGUMENT');
  assert.match(noPlatform.message, /needs a platform/);
  const one = await layerOf('mismatch');
  const mismatch = await kilnRejection(commitImage(content, { platform, layers: [one], history: [{ created_by: 'ENV', empty_layer: true }] }));
  assert.equal(mismatch.code, 'INVALID_ARGUMENT');
  assert.match(mismatch.message, /history lists 0 steps with a layer/);
});
