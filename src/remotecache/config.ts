// The cache config: what a kiln cache export carries besides its layer blobs. Cache keys do not
// depend on the store (solver/cache-key.ts), so a record is only "this key's result is this
// chain of layers". Chains share their lower layers, so they are kept as a forest, each node a
// layer over its parent, and a record names the top node of its chain (-1: the empty
// filesystem). This is simpler than BuildKit's linked records (buildkit.md c.7): the keys carry
// the links already.
//
// The config is a blob of its own, streamed and parsed without a size limit: a `mode=max` cache
// of a monorepo lists tens of thousands of records, where BuildKit's 1 MiB limit broke.
import { isDigest, type Digest } from '../content/index.js';
import type { Descriptor } from '../image/index.js';
import { KilnError } from '../util/errors.js';

export const cacheConfigMediaType = 'application/vnd.kiln.cache.config.v1+json';

/**
 * A shard of a large cache's records: a config of its own (layers, chains, records) holding the
 * records whose keys start with one hex digit. The root config then lists the shards, and an
 * export after a change uploads the shards whose records changed, not every record.
 */
export const cacheShardMediaType = 'application/vnd.kiln.cache.records.v1+json';

/**
 * The image config field an inline cache is kept in (`--cache-to type=inline`), as BuildKit
 * keeps its own under `moby.buildkit.cache.v0`: the records of the image's own steps, whose
 * layers are the image's.
 */
export const inlineCacheField = 'kiln.cache.v1';

export interface CacheLayer {
  /** The compressed blob, as the export wrote it. */
  blob: Descriptor;
  /** sha256 of the uncompressed tar. */
  diffId: Digest;
  /** When a step's layer was made (its image's `created` follows it); absent for an image's layer. */
  created?: string;
  /** A layer of a base image (kept by chain ID, shared with images), not one a step made. */
  image?: true;
}

export interface ChainNode {
  /** Index into `layers`. */
  layer: number;
  /** Index into `chains` of the chain below; -1 at the bottom. */
  parent: number;
}

export interface CacheRecordEntry {
  key: Digest;
  /** Index into `chains` of the result's top layer; -1 for the empty filesystem. */
  chain: number;
}

/** A cache mount's directory (`RUN --mount=type=cache,id=...`), as a layer blob of its tree. */
export interface CacheMountEntry {
  id: string;
  blob: Descriptor;
  diffId: Digest;
}

export interface CacheConfig {
  version: 1;
  layers: CacheLayer[];
  chains: ChainNode[];
  records: CacheRecordEntry[];
  /** Exported only when asked for (`cache-mounts=true`). */
  mounts?: CacheMountEntry[];
  /** A large cache's records, in shard blobs (a root config only; its own lists are then empty). */
  shards?: Descriptor[];
}

function invalid(location: string, what: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `the cache config from ${location} is not valid: ${what}`, {
    hint: 'export the cache again (--cache-to) to replace it',
  });
}

function validLayer(value: unknown): value is CacheLayer {
  const layer = value as Partial<CacheLayer> | null;
  return typeof layer === 'object' && layer !== null && typeof layer.blob?.mediaType === 'string' && isDigest(layer.blob.digest)
    && Number.isSafeInteger(layer.blob.size) && layer.blob.size >= 0 && isDigest(layer.diffId as string)
    && (layer.created === undefined || typeof layer.created === 'string') && (layer.image === undefined || layer.image === true);
}

function index(value: unknown, length: number): boolean {
  return Number.isInteger(value) && (value as number) >= -1 && (value as number) < length;
}

/**
 * Checks everything an import relies on, so that a corrupt or hostile config fails here with
 * the cache's name rather than somewhere in a build: every index in range, and chains whose
 * parents come before them (so no chain is a loop).
 */
export function parseCacheConfig(bytes: Uint8Array, location: string): CacheConfig {
  let parsed: Partial<CacheConfig>;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<CacheConfig>;
  } catch (err) {
    throw invalid(location, (err as Error).message);
  }
  if (parsed?.version !== 1) throw invalid(location, `version ${JSON.stringify(parsed?.version)} is not 1`);
  const { layers, chains, records } = parsed;
  if (!Array.isArray(layers) || !Array.isArray(chains) || !Array.isArray(records)) throw invalid(location, 'layers, chains and records must be lists');
  const badLayer = layers.findIndex((layer) => !validLayer(layer));
  if (badLayer >= 0) throw invalid(location, `layer ${badLayer} is not a layer descriptor with a diff ID`);
  chains.forEach((node: Partial<ChainNode>, at) => {
    if (!index(node?.layer, layers.length) || node.layer === -1 || !index(node.parent, at)) throw invalid(location, `chain node ${at} names a layer or parent out of range`);
  });
  for (const [at, record] of records.entries()) {
    if (!isDigest((record as Partial<CacheRecordEntry>)?.key as string) || !index(record.chain, chains.length)) throw invalid(location, `record ${at} is not a key with a chain`);
  }
  const { mounts } = parsed;
  if (mounts !== undefined && (!Array.isArray(mounts) || mounts.some((mount) => typeof mount?.id !== 'string' || !validLayer({ blob: mount.blob, diffId: mount.diffId })))) {
    throw invalid(location, 'mounts must be a list of cache ids with their layer blobs');
  }
  const { shards } = parsed;
  if (shards !== undefined && (!Array.isArray(shards) || shards.some((shard) => shard?.mediaType !== cacheShardMediaType || !isDigest(shard.digest) || !Number.isSafeInteger(shard.size)))) {
    throw invalid(location, `shards must be a list of ${cacheShardMediaType} descriptors`);
  }
  return { version: 1, layers, chains, records, ...(mounts === undefined ? {} : { mounts }), ...(shards === undefined ? {} : { shards }) };
}

/** One config of several (a root's shards): each one's layer and chain indexes moved past the ones before. */
export function mergeCacheConfigs(configs: readonly CacheConfig[]): CacheConfig {
  const merged: CacheConfig = { version: 1, layers: [], chains: [], records: [] };
  for (const config of configs) {
    const layerBase = merged.layers.length;
    const chainBase = merged.chains.length;
    merged.layers.push(...config.layers);
    merged.chains.push(...config.chains.map((node) => ({ layer: node.layer + layerBase, parent: node.parent === -1 ? -1 : node.parent + chainBase })));
    merged.records.push(...config.records.map((record) => ({ key: record.key, chain: record.chain === -1 ? -1 : record.chain + chainBase })));
  }
  return merged;
}

/**
 * Builds a config as chains are added: equal chains and equal layers are stored once, so the
 * config grows with the distinct layers, not with the records.
 */
export class CacheConfigBuilder {
  private readonly layers: CacheLayer[] = [];
  private readonly chains: ChainNode[] = [];
  private readonly records = new Map<Digest, number>();
  private readonly layerAt = new Map<string, number>();
  private readonly nodeAt = new Map<string, number>();

  /** Files `key` as the chain `layers` (bottom first; empty for the empty filesystem). */
  add(key: Digest, layers: readonly CacheLayer[]): void {
    let parent = -1;
    for (const layer of layers) {
      const layerKey = `${layer.blob.digest} ${layer.diffId} ${layer.created ?? ''} ${layer.image === true}`;
      let at = this.layerAt.get(layerKey);
      if (at === undefined) {
        at = this.layers.push(layer) - 1;
        this.layerAt.set(layerKey, at);
      }
      const nodeKey = `${parent} ${at}`;
      let node = this.nodeAt.get(nodeKey);
      if (node === undefined) {
        node = this.chains.push({ layer: at, parent }) - 1;
        this.nodeAt.set(nodeKey, node);
      }
      parent = node;
    }
    this.records.set(key, parent);
  }

  /** The config, with records in key order: equal caches are equal bytes. */
  build(): CacheConfig {
    const records = [...this.records].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, chain]) => ({ key, chain }));
    return { version: 1, layers: this.layers, chains: this.chains, records };
  }
}
