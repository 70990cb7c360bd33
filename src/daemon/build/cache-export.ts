// A build's cache as a cache config and its layers (remotecache/), written to wherever
// `--cache-to` names. What goes in: with `mode=min` the records of the image's own steps (the
// chain from the head down its root inputs, buildkit.md c.7), with `mode=max` the record of
// every step the build reached. Each record's result is a chain of committed snapshots, and
// each snapshot is a layer: a step's kept layer (made now if the step's layer was never made),
// an imported or lazily written one's blob, or a base image's layer found by its chain ID.
//
// The copy (image/copy.ts) writes blobs first and the manifest last, skipping every blob the
// target has already: an export after a one-file change uploads that step's layers, the config
// and the manifest. A failure at any point leaves the previous cache as it was, whole; the next
// export uploads what is missing.
import type { Digest } from '../../content/index.js';
import { copyImage, type Descriptor, type ImageTarget, type TransferEvent } from '../../image/index.js';
import { snapshotCodec, type SnapshotRef } from '../../ops/index.js';
import type { CacheLayer, CacheMountEntry } from '../../remotecache/config.js';
import { shardedConfig, type CollectedRecord } from '../../remotecache/shards.js';
import { cacheDocuments, CacheExportSource } from '../../remotecache/documents.js';
import { chainIds, snapshotChain, type OverlaySnapshotter } from '../../snapshot/index.js';
import { RecordCacheManager, Semaphore, type Edge, type Vertex } from '../../solver/index.js';
import { KilnError } from '../../util/errors.js';
import type { ImageEngine } from '../images/engine.js';
import { listImages } from '../images/local.js';
import { stepLayer } from './export.js';

/** The keys a solve reported for one vertex, per output (solver.ts SolveOptions.keys). */
export interface SolvedKeys {
  vertex: Vertex<SnapshotRef>;
  outputs: Digest[][];
}

export type CacheMode = 'min' | 'max';

/**
 * The keys a cache export of `mode` files: every output's, or the image chain's and the head's.
 * `cheapest`: only each output's cheapest key, the one every solve computes first, so that two
 * runners building the same commit file the same records (an inline cache is part of the
 * image, whose digest must not depend on which runner built it).
 */
export function exportedKeys(solved: readonly SolvedKeys[], mode: CacheMode, heads: readonly (Edge<SnapshotRef> | undefined)[], cheapest = false): Digest[] {
  const outputOf = (vertex: Vertex<SnapshotRef>): number | undefined => heads.find((head) => head?.vertex === vertex)?.index ?? vertex.imageLayer?.output;
  const keys = solved.flatMap(({ vertex, outputs }) => {
    const output = outputOf(vertex);
    const chosen = mode === 'max' ? outputs : output === undefined ? [] : [outputs[output] ?? []];
    return chosen.flatMap((keys) => (cheapest ? keys.slice(0, 1) : keys));
  });
  return [...new Set(keys)].sort();
}

/** Base images' layers by chain ID: a chain-ID snapshot made by an unpack knows no blob of its own. */
async function imageLayersByChain(engine: ImageEngine): Promise<Map<string, { blob: Descriptor; diffId: Digest }>> {
  const found = new Map<string, { blob: Descriptor; diffId: Digest }>();
  for (const image of await listImages(engine)) {
    const diffIds = image.config.rootfs.diff_ids;
    chainIds(diffIds).forEach((chainId, at) => {
      const blob = image.manifest.layers[at];
      if (blob !== undefined) found.set(chainId, { blob, diffId: diffIds[at] as Digest });
    });
  }
  return found;
}

/** Each snapshot's layer, found or made once per export. */
class LayerFinder {
  private readonly layers = new Map<string, Promise<CacheLayer>>();
  private imageLayers: Promise<Map<string, { blob: Descriptor; diffId: Digest }>> | undefined;

  constructor(private readonly engine: ImageEngine, private readonly snapshotter: OverlaySnapshotter, private readonly signal: AbortSignal | undefined) {}

  layerOf(key: string): Promise<CacheLayer> {
    let layer = this.layers.get(key);
    if (layer === undefined) {
      layer = this.find(key);
      this.layers.set(key, layer);
    }
    return layer;
  }

  private async find(key: string): Promise<CacheLayer> {
    // Snapshots keyed by a chain ID hold an image's layer, shared with the images that have it.
    if (key.startsWith('sha256:')) {
      const lazy = await this.snapshotter.layerOf(key);
      if (lazy !== undefined) return { blob: lazy.layer, diffId: lazy.diffId, image: true };
      this.imageLayers ??= imageLayersByChain(this.engine);
      const known = (await this.imageLayers).get(key);
      if (known === undefined) throw new KilnError('NOT_FOUND', `no image in the store has the layer chain ${key} any more`, { hint: 'pull the base image again' });
      return { ...known, image: true };
    }
    const kept = await stepLayer(this.engine, this.snapshotter, key, this.signal, undefined);
    return { blob: kept.descriptor, diffId: kept.diffId, created: kept.created };
  }
}

export interface CollectedCache {
  records: CollectedRecord[];
  /** Every distinct layer blob the records name. */
  layers: Descriptor[];
}

/**
 * The records of `keys` in this store, with their chains' layers. Keys with no record (a step
 * that only ever hit by another key) or whose result has gone are left out.
 */
export async function collectCache(engine: ImageEngine, snapshotter: OverlaySnapshotter, keys: readonly Digest[], signal?: AbortSignal): Promise<CollectedCache> {
  const records = new RecordCacheManager(engine.root, snapshotCodec(snapshotter));
  const finder = new LayerFinder(engine, snapshotter, signal);
  // Bounded: a large cache has tens of thousands of records, each a file to read.
  const slots = new Semaphore(32);
  const chains = await Promise.all(keys.map((key) => slots.run(async () => {
    const record = await records.read(key);
    if (record === undefined) return undefined;
    const result = await snapshotCodec(snapshotter).decode(record.ref);
    if (result === undefined) return undefined;
    const chain = await snapshotChain(snapshotter, result.snapshot);
    return { key, layers: await Promise.all(chain.map((snapshot) => finder.layerOf(snapshot))) };
  }, signal ?? new AbortController().signal)));
  const collected = chains.filter((found) => found !== undefined);
  const layers = new Map<Digest, Descriptor>();
  for (const found of collected) for (const layer of found.layers) layers.set(layer.blob.digest, layer.blob);
  return { records: collected, layers: [...layers.values()] };
}

/** A target that takes the blobs a previous manifest of the cache listed as there, without asking. */
function knowing(target: ImageTarget, known: ReadonlySet<Digest>): ImageTarget {
  return {
    location: target.location,
    concurrency: target.concurrency,
    ...(target.verifies === undefined ? {} : { verifies: target.verifies }),
    exists: async (desc, signal) => known.has(desc.digest) || target.exists(desc, signal),
    writeBlob: (desc, content, signal) => target.writeBlob(desc, content, signal),
    writeManifest: (desc, bytes, root, signal) => target.writeManifest(desc, bytes, root, signal),
    finish: (root, signal) => target.finish(root, signal),
  };
}

export interface WrittenCache {
  records: number;
  layers: number;
  mounts: number;
  /** Blobs sent, and blobs the target had already. */
  written: number;
  skipped: number;
  root: Descriptor;
}

/** Writes the collected cache into `target`; `known` are blobs the target is known to hold. */
export async function writeCache(engine: ImageEngine, collected: CollectedCache, target: ImageTarget, options: {
  known?: ReadonlySet<Digest>; mounts?: CacheMountEntry[]; signal?: AbortSignal; onEvent?: (event: TransferEvent) => void;
} = {}): Promise<WrittenCache> {
  const mounts = options.mounts ?? [];
  const sharded = shardedConfig(collected.records);
  const config = { ...sharded.config, ...(mounts.length === 0 ? {} : { mounts }) };
  const documents = cacheDocuments(config, [...collected.layers, ...mounts.map((mount) => mount.blob)], sharded.shards);
  const result = await copyImage(new CacheExportSource(engine.content, documents.documents), knowing(target, options.known ?? new Set()), documents.root, {
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  });
  return { records: collected.records.length, layers: collected.layers.length, mounts: mounts.length, written: result.written, skipped: result.skipped, root: documents.root };
}
