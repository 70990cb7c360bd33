// A cache's records as one config, or, past a threshold, as sixteen shard blobs by the first hex
// digit of their keys under a root config that lists them. Keys are digests, so the shards fill
// evenly, and a change that files a few new records changes a few shards: an export uploads
// those and a small root, not every record again (a monorepo's `mode=max` cache holds tens of
// thousands). Each shard is a whole config of its own (the chains its records need), so shards
// are read independently and merged (config.ts mergeCacheConfigs).
import { digestBytes, digestHex, type Digest } from '../content/index.js';
import type { Descriptor } from '../image/index.js';
import { CacheConfigBuilder, cacheShardMediaType, type CacheConfig, type CacheLayer } from './config.js';

/** Records in one config at most; a cache with more is sharded. */
export const recordsPerConfig = 2000;

/** A record to file: its key and its result's layers, bottom first. */
export interface CollectedRecord {
  key: Digest;
  layers: CacheLayer[];
}

export interface ShardedConfig {
  config: CacheConfig;
  /** The shard blobs the config lists, by digest, with their bytes. */
  shards: Map<Digest, { desc: Descriptor; bytes: Uint8Array }>;
}

/** The records as one config (an inline cache is always one). */
export function recordsConfig(records: readonly CollectedRecord[]): CacheConfig {
  const builder = new CacheConfigBuilder();
  // In key order: equal records give equal bytes, so an unchanged shard is not sent again.
  for (const record of [...records].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) builder.add(record.key, record.layers);
  return builder.build();
}

export function shardedConfig(records: readonly CollectedRecord[]): ShardedConfig {
  if (records.length <= recordsPerConfig) return { config: recordsConfig(records), shards: new Map() };
  const groups = new Map<string, CollectedRecord[]>();
  for (const record of records) {
    const digit = digestHex(record.key)[0] as string;
    const group = groups.get(digit);
    if (group === undefined) groups.set(digit, [record]);
    else group.push(record);
  }
  const shards = new Map<Digest, { desc: Descriptor; bytes: Uint8Array }>();
  for (const digit of [...groups.keys()].sort()) {
    const bytes = Buffer.from(JSON.stringify(recordsConfig(groups.get(digit) ?? [])));
    const desc: Descriptor = { mediaType: cacheShardMediaType, digest: digestBytes(bytes), size: bytes.length };
    shards.set(desc.digest, { desc, bytes });
  }
  return { config: { version: 1, layers: [], chains: [], records: [], shards: [...shards.values()].map(({ desc }) => desc) }, shards };
}
