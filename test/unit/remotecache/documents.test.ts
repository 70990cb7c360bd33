// A cache has no size limit of its own (issue 7): one too big for a single manifest goes to the
// registry as an OCI index of shard manifests, each under the per-manifest layer budget, all
// sharing one config; and a config bigger than any image document is streamed back whole. The
// round trip is through a real docker-registry and kiln's registry client, from a real content
// store: 2,100 layers and 45,000 records, a config of several MiB.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { digestBytes, LocalContentStore, type Digest } from '../../../src/content/index.js';
import {
  copyImage, fetchVerified, isIndex, maxDocumentSize, MediaTypes, parseIndex, parseManifest, readDocument,
  type Descriptor, type ImageManifest,
} from '../../../src/image/index.js';
import { CacheConfigBuilder, cacheConfigMediaType, type CacheConfig, type CacheLayer } from '../../../src/remotecache/config.js';
import { cacheDocuments, CacheExportSource, listedBlobs, readCache, shardLayers } from '../../../src/remotecache/documents.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { parseNormalizedReference } from '../../../src/registry/reference.js';
import { kilnRejection } from '../../helpers/errors.js';
import { startRegistry } from '../../helpers/registry-server.js';
import { tempDir } from '../../helpers/tmp.js';

const registry = await startRegistry();
const client = new RegistryClient({ blobConcurrency: 16, retry: { baseDelayMs: 5, maxDelayMs: 50 } });
after(() => client.close());

const layerCount = 2_100;
const recordCount = 45_000;

/** `count` small distinct blobs written into a fresh content store, as a build's layers would be. */
async function storeWithLayers(count: number): Promise<{ store: LocalContentStore; blobs: Descriptor[]; bytes: Map<Digest, Buffer> }> {
  const store = new LocalContentStore(await tempDir('cache-documents-store'));
  const bytes = new Map<Digest, Buffer>();
  const blobs: Descriptor[] = [];
  for (let at = 0; at < count; at++) {
    const content = Buffer.from(`layer ${at} of a large build cache\n`);
    const digest = digestBytes(content);
    bytes.set(digest, content);
    blobs.push({ mediaType: MediaTypes.ociLayerGzip, digest, size: content.length });
  }
  // Sixteen writers at a time: the store's ingest is file I/O.
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < blobs.length) {
      const blob = blobs[next++] as Descriptor;
      const writer = await store.writer(`layer-${blob.digest}`, { digest: blob.digest, size: blob.size });
      await writer.write(bytes.get(blob.digest) as Buffer);
      await writer.commit(blob.size, blob.digest);
    }
  }));
  return { store, blobs, bytes };
}

/** Records over the layers: chains of one to three layers, sharing their lower ones. */
function largeConfig(blobs: readonly Descriptor[]): CacheConfig {
  const layers: CacheLayer[] = blobs.map((blob, at) => ({ blob, diffId: digestBytes(`diff ${at}`), created: new Date(Date.UTC(2026, 0, 1, 0, 0, at)).toISOString() }));
  const builder = new CacheConfigBuilder();
  for (let record = 0; record < recordCount; record++) {
    const chain = [layers[record % 7] as CacheLayer, layers[record % layers.length] as CacheLayer, layers[(record * 31 + 11) % layers.length] as CacheLayer];
    builder.add(digestBytes(`record ${record}`), chain.slice(0, 1 + (record % 3)));
  }
  return builder.build();
}

describe('cache documents', () => {
  it('keeps a cache within the layer budget as one manifest, and splits one over it into shards', () => {
    const config: CacheConfig = { version: 1, layers: [], chains: [], records: [] };
    const blobs = (count: number): Descriptor[] => Array.from({ length: count }, (_, at) => ({ mediaType: MediaTypes.ociLayerGzip, digest: digestBytes(`b ${at}`), size: 1 }));
    const whole = cacheDocuments(config, blobs(shardLayers));
    assert.equal(whole.root.mediaType, MediaTypes.ociManifest);
    const manifest = JSON.parse(Buffer.from(whole.documents.get(whole.root.digest) as Uint8Array).toString()) as ImageManifest;
    assert.equal(manifest.layers.length, shardLayers);
    assert.deepEqual(manifest.config, whole.config);
    assert.equal(whole.config.mediaType, cacheConfigMediaType);

    const split = cacheDocuments(config, blobs(shardLayers + 1));
    assert.equal(split.root.mediaType, MediaTypes.ociIndex);
    const index = parseIndex(split.documents.get(split.root.digest) as Uint8Array);
    assert.deepEqual(index.manifests.map((shard) => parseManifest(split.documents.get(shard.digest) as Uint8Array).layers.length), [shardLayers, 1]);
  });

  it('round-trips a cache of 2,100 layers and a config over the document size limit through a registry', async () => {
    const { store, blobs, bytes } = await storeWithLayers(layerCount);
    const config = largeConfig(blobs);
    assert.equal(config.records.length, recordCount);
    const documents = cacheDocuments(config, blobs);
    assert.ok(documents.config.size > maxDocumentSize, `the config is ${documents.config.size} bytes, more than any image document may be`);

    const ref = parseNormalizedReference(`${registry.host}/cache/large:buildcache`);
    const copied = await copyImage(new CacheExportSource(store, documents.documents), client.target(ref), documents.root);
    assert.equal(copied.written, layerCount + 1, 'every layer and the config uploaded once');

    // What the registry serves for the tag: an OCI index of three shards, each within budget.
    const source = client.source(ref);
    const root = await client.resolve(ref);
    assert.deepEqual(root, documents.root);
    assert.equal(isIndex(root.mediaType), true);
    const index = parseIndex(await readDocument(source, root));
    assert.equal(index.manifests.length, 3);
    const shards = await Promise.all(index.manifests.map(async (shard) => parseManifest(await readDocument(source, shard))));
    assert.deepEqual(shards.map((shard) => shard.layers.length), [1000, 1000, 100]);
    for (const shard of shards) {
      assert.ok(shard.layers.length <= shardLayers);
      assert.deepEqual(shard.config, documents.config, 'every shard names the one config');
    }
    assert.deepEqual(shards.flatMap((shard) => shard.layers), blobs);

    // Read back: the same config, and every blob listed.
    const imported = await readCache(source, root);
    assert.deepEqual(imported.config, config);
    assert.deepEqual([...await listedBlobs(source, root)].sort(), blobs.map((blob) => blob.digest).sort());
    // The registry checked each upload's digest; the first and last layer of each shard are read back too.
    const sample = shards.flatMap((shard) => [shard.layers[0], shard.layers.at(-1)]) as Descriptor[];
    await Promise.all(sample.map(async (blob) => {
      const chunks: Buffer[] = [];
      for await (const chunk of await fetchVerified(source, blob)) chunks.push(chunk as Buffer);
      assert.deepEqual(Buffer.concat(chunks), bytes.get(blob.digest));
    }));
  });

  it('refuses shards that do not share one config', async () => {
    const one: CacheConfig = { version: 1, layers: [], chains: [], records: [] };
    const other: CacheConfig = { ...one, records: [{ key: digestBytes('record'), chain: -1 }] };
    const layers = (from: number): Descriptor[] => Array.from({ length: shardLayers }, (_, at) => ({ mediaType: MediaTypes.ociLayerGzip, digest: digestBytes(`b ${from + at}`), size: 1 }));
    const first = cacheDocuments(one, layers(0));
    const second = cacheDocuments(other, layers(shardLayers));
    const documents = new Map([...first.documents, ...second.documents]);
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [first.root, second.root] }));
    const root: Descriptor = { mediaType: MediaTypes.ociIndex, digest: digestBytes(index), size: index.length };
    documents.set(root.digest, index);
    const store = new LocalContentStore(await tempDir('cache-documents-mixed'));
    // The documents served from memory: the same source an export copies from.
    const err = await kilnRejection(readCache(new CacheExportSource(store, documents), root));
    assert.equal(err.code, 'INVALID_ARGUMENT');
    assert.match(err.message, /is not a kiln cache/);
  });

  it('refuses to read an artifact that is not a kiln cache, saying what its config is', async () => {
    const documents = new Map<Digest, Uint8Array>();
    const put = (mediaType: string, value: object): Descriptor => {
      const json = Buffer.from(JSON.stringify(value));
      const digest = digestBytes(json);
      documents.set(digest, json);
      return { mediaType, digest, size: json.length };
    };
    const artifactType = 'application/vnd.example.sbom.v1+json';
    const manifest = put(MediaTypes.ociManifest, { schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: put(artifactType, { packages: [] }), layers: [] });
    const ref = parseNormalizedReference(`${registry.host}/cache/not-a-cache:1`);
    const store = new LocalContentStore(await tempDir('cache-documents-empty'));
    await copyImage(new CacheExportSource(store, documents), client.target(ref), manifest);
    const err = await kilnRejection(readCache(client.source(ref), await client.resolve(ref)));
    assert.equal(err.code, 'INVALID_ARGUMENT');
    assert.ok(err.message.endsWith(`is not a kiln cache: its config is ${artifactType}`), err.message);
    assert.match(err.hint ?? '', /--cache-to/);
  });
});
