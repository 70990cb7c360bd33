// The build cache of a store root as prunable entries (BuildKit's usage records):
// - a step's committed snapshot (`regular`; a step of this store's, or one an imported cache
//   brought over, cache-import.ts), with the records whose result it is; its size is
//   its own directory's, measured once and kept beside it (a committed snapshot never changes);
// - a cache-mount directory (`exec.cachemount`), measured each time (builds write into it);
// - a build context's stat cache (`source.local`), which only spares re-hashing.
// Snapshots of image layers (keyed by chain ID, unpacked by pulls, runs and FROM) belong to
// the images and containers, never to the cache: records naming one are entries of no size.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { referencedBlobs, type Digest } from '../../content/index.js';
import type { Descriptor } from '../../image/index.js';
import type { OverlaySnapshotter, SnapshotInfo } from '../../snapshot/index.js';
import { cacheRecordFile, listCacheRecords, type CacheRecord } from '../../solver/index.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { keptLayerFile } from '../../exporter/index.js';
import { engineSnapshotter, type ImageEngine } from '../images/engine.js';
import { diskUsage } from './disk-usage.js';
import type { CacheEntry } from './prune-select.js';

/** A step's result snapshot (ops/step.ts names them); every other snapshot is an image's or a container's. */
const stepResult = /^kiln-(run|file|import)-[0-9a-f]{16}-result$/;
const diskUsageFile = 'disk-usage.json';
/** A directory entry a prune renamed before deleting it (prune.ts). */
export const prunedPrefix = '.pruning-';

export function cacheMountsDir(root: string): string {
  return join(root, 'cache', 'mounts');
}

export function statCachesDir(root: string): string {
  return join(root, 'cache', 'contenthash');
}

export interface Inventory {
  entries: CacheEntry[];
  /** Record files that name nothing (torn, or a result that has gone): garbage whatever the options. */
  deadRecords: string[];
  /** Records of results that are no step's (the empty filesystem, an image's layers), by file. */
  imageRecords: { file: string; lastUsedAt: number }[];
}

async function names(dir: string): Promise<string[]> {
  return readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
}

/** The layer blob kept for a step snapshot (exporter/kept-layer.ts), if one was made. */
async function keptLayer(snapshotter: OverlaySnapshotter, key: string): Promise<Descriptor | undefined> {
  try {
    const kept = JSON.parse(await readFile(await snapshotter.derivedFile(key, keptLayerFile()), 'utf8')) as { descriptor?: Descriptor };
    return typeof kept.descriptor?.digest === 'string' ? kept.descriptor : undefined;
  } catch {
    return undefined;
  }
}

/** The snapshot's own size, measured on first ask and then read back. */
async function snapshotSize(snapshotter: OverlaySnapshotter, key: string): Promise<number> {
  const file = await snapshotter.derivedFile(key, diskUsageFile);
  const kept = await readFile(file, 'utf8').then((text) => (JSON.parse(text) as { bytes?: unknown }).bytes).catch(() => undefined);
  if (typeof kept === 'number') return kept;
  const own = await snapshotter.contentDir(key);
  // Still a layer blob: it takes no room of its own yet (the blob is counted with the content).
  if (own.packed !== undefined) return 0;
  const bytes = await diskUsage(own.dir);
  await writeFileAtomic(file, `${JSON.stringify({ bytes })}\n`, { durable: false });
  return bytes;
}

/** The blobs every image record reaches: a step whose layer is among them is shared with an image. */
async function imageBlobs(engine: ImageEngine): Promise<Set<Digest>> {
  const images = await engine.images.list();
  return referencedBlobs(engine.content, images.map((record) => record.target));
}

async function stepEntries(engine: ImageEngine, steps: SnapshotInfo[], records: CacheRecord[], sharing: boolean): Promise<CacheEntry[]> {
  const snapshotter = engineSnapshotter(engine);
  const shared = sharing ? await imageBlobs(engine) : new Set<Digest>();
  const byRef = new Map<string, CacheRecord[]>();
  for (const record of records) byRef.set(record.ref, [...(byRef.get(record.ref) ?? []), record]);
  const entries: CacheEntry[] = [];
  for (const info of steps) {
    const layer = await keptLayer(snapshotter, info.key);
    const own = byRef.get(info.key) ?? [];
    entries.push({
      id: info.key, type: 'regular', size: await snapshotSize(snapshotter, info.key),
      // Its records say when it was last a cache hit; one without records was last used when made.
      lastUsedAt: own.length === 0 ? Date.parse(info.createdAt) : Math.max(...own.map((record) => Date.parse(record.lastUsedAt))),
      shared: layer !== undefined && shared.has(layer.digest as Digest),
      // A snapshot no record names can never be a cache hit again: it is garbage.
      dangling: own.length === 0,
      records: own.map((record) => cacheRecordFile(record.key)),
      ...(info.parent !== undefined && stepResult.test(info.parent) ? { parent: info.parent } : {}),
      ...(layer === undefined ? {} : { layer }),
    });
  }
  return entries;
}

/** Entries of a directory whose children are each one entry (cache mounts, stat caches). */
async function dirEntries(dir: string, type: CacheEntry['type'], measure: (path: string) => Promise<number>): Promise<CacheEntry[]> {
  const entries: CacheEntry[] = [];
  for (const name of await names(dir)) {
    const path = join(dir, name);
    const stats = await stat(path).catch(() => undefined);
    if (stats === undefined) continue;
    // What a prune killed midway had taken out of sight is garbage.
    const dangling = name.startsWith(prunedPrefix);
    entries.push({ id: name, type, size: await measure(path), lastUsedAt: stats.mtimeMs, shared: false, dangling, records: [], path });
  }
  return entries;
}

/**
 * The cache as it is. `sharing` false leaves every entry unshared without reading the images,
 * for callers that only add up sizes (the GC's check after each build).
 */
export async function takeInventory(engine: ImageEngine, sharing = true): Promise<Inventory> {
  const snapshots = await engineSnapshotter(engine).list();
  const committed = new Map(snapshots.filter((info) => info.kind === 'committed').map((info) => [info.key, info]));
  const steps = [...committed.values()].filter((info) => stepResult.test(info.key));
  const { records, torn } = await listCacheRecords(engine.root);
  const deadRecords = [...torn];
  const imageRecords: Inventory['imageRecords'] = [];
  const stepRecords: CacheRecord[] = [];
  for (const record of records) {
    if (stepResult.test(record.ref) && committed.has(record.ref)) stepRecords.push(record);
    else if (record.ref === '' || committed.has(record.ref)) imageRecords.push({ file: cacheRecordFile(record.key), lastUsedAt: Date.parse(record.lastUsedAt) });
    else deadRecords.push(cacheRecordFile(record.key));
  }
  return {
    entries: [
      ...(await stepEntries(engine, steps, stepRecords, sharing)),
      ...(await dirEntries(cacheMountsDir(engine.root), 'exec.cachemount', diskUsage)),
      ...(await dirEntries(statCachesDir(engine.root), 'source.local', diskUsage)),
    ],
    deadRecords,
    imageRecords,
  };
}
