// A large cache's records in shards (remotecache/shards.ts): past the threshold they go into
// sixteen shard blobs by key, each a whole config, under a root that lists them; a change to a
// few records changes a few shards, and an export then writes only those and the root. Read
// back through an OCI layout, the shards merge into the records that were written.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { OciLayoutSource, OciLayoutTarget } from '../../../src/archive/index.js';
import { digestBytes, LocalContentStore, type Digest } from '../../../src/content/index.js';
import { copyImage, MediaTypes, type Descriptor } from '../../../src/image/index.js';
import { parseCacheConfig, type CacheConfig, type CacheLayer, type ChainNode } from '../../../src/remotecache/config.js';
import { cacheDocuments, CacheExportSource, readCache } from '../../../src/remotecache/documents.js';
import { recordsPerConfig, shardedConfig, type CollectedRecord } from '../../../src/remotecache/shards.js';
import { tempDir } from '../../helpers/tmp.js';

/** `count` small layer blobs in a fresh content store. */
async function storeWithLayers(count: number): Promise<{ store: LocalContentStore; layers: CacheLayer[] }> {
  const store = new LocalContentStore(await tempDir('cache-shards-store'));
  const layers: CacheLayer[] = [];
  for (let at = 0; at < count; at++) {
    const bytes = Buffer.from(`layer ${at}`);
    const digest = digestBytes(bytes);
    const writer = await store.writer(`layer-${at}`, { digest, size: bytes.length });
    await writer.write(bytes);
    await writer.commit(bytes.length, digest);
    layers.push({ blob: { mediaType: MediaTypes.ociLayerGzip, digest, size: bytes.length }, diffId: digestBytes(`diff ${at}`), created: '2026-01-01T00:00:00Z' });
  }
  return { store, layers };
}

/** `count` records over chains of the layers: record n's result is the first (n % layers) + 1 of them. */
function records(count: number, layers: readonly CacheLayer[]): CollectedRecord[] {
  return Array.from({ length: count }, (_, n) => ({ key: digestBytes(`key ${n}`), layers: layers.slice(0, (n % layers.length) + 1) }));
}

/** The layers a config files under `key`, bottom first. */
function layersOf(config: CacheConfig, key: Digest): CacheLayer[] | undefined {
  const record = config.records.find((entry) => entry.key === key);
  if (record === undefined) return undefined;
  const found: CacheLayer[] = [];
  for (let at = record.chain; at !== -1; at = (config.chains[at] as ChainNode).parent) found.unshift(config.layers[(config.chains[at] as ChainNode).layer] as CacheLayer);
  return found;
}

async function exportTo(dir: string, store: LocalContentStore, collected: CollectedRecord[], layers: CacheLayer[]) {
  const sharded = shardedConfig(collected);
  const documents = cacheDocuments(sharded.config, layers.map((layer) => layer.blob), sharded.shards);
  const result = await copyImage(new CacheExportSource(store, documents.documents), new OciLayoutTarget(dir, { names: ['latest'] }), documents.root);
  return { sharded, result };
}

describe('cache record shards', () => {
  it('keeps a cache up to the threshold in one config', () => {
    const { config, shards } = shardedConfig(records(recordsPerConfig, [{ blob: { mediaType: MediaTypes.ociLayerGzip, digest: digestBytes('b'), size: 1 }, diffId: digestBytes('d') }]));
    assert.equal(shards.size, 0);
    assert.equal(config.records.length, recordsPerConfig);
    assert.equal(config.shards, undefined);
  });

  it('shards a larger one by key, writes only the shards a change touches, and merges them back', async () => {
    const { store, layers } = await storeWithLayers(12);
    const dir = join(await tempDir('cache-shards-layout'), 'cache');
    const collected = records(6_000, layers);
    const first = await exportTo(dir, store, collected, layers);
    assert.equal(first.sharded.shards.size, 16);
    assert.deepEqual(first.sharded.config.records, []);
    for (const { bytes, desc } of first.sharded.shards.values()) {
      const shard = parseCacheConfig(bytes, 'test');
      assert.ok(shard.records.every((record) => record.key[7] === shard.records[0]?.key[7]), `one key digit per shard (${desc.digest})`);
    }

    // One record's result changes: its shard and the root config are written, nothing else.
    const changed = collected.map((record, at) => (at === 17 ? { ...record, layers: layers.slice(0, 2) } : record));
    const second = await exportTo(dir, store, changed, layers);
    const differing = [...second.sharded.shards.keys()].filter((digest) => !first.sharded.shards.has(digest));
    assert.equal(differing.length, 1);
    assert.equal(second.result.written, 2, 'the changed shard and the root config');

    const source = await OciLayoutSource.open(dir);
    const root = source.images().find((image) => image.name === 'latest')?.desc as Descriptor;
    const { config } = await readCache(source, root);
    assert.equal(config.records.length, 6_000);
    for (const at of [0, 17, 5_999]) {
      const record = changed[at] as CollectedRecord;
      assert.deepEqual(layersOf(config, record.key), record.layers, `record ${at}`);
    }
  });
});
