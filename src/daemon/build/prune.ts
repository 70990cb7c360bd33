// `docker builder prune` in the engine: removes cache entries (prune-select.ts decides which)
// and then the blobs nothing references any more. It holds the cache lock alone (cache-lock.ts),
// so no build is between a cache lookup and its export while it runs, no cache mount is in use,
// and no step is half-committed.
//
// Crash safety: a step's records are deleted before its snapshot, so a record never names a
// half-deleted snapshot; a snapshot left without records is dangling and goes at the next prune.
// Directories are renamed out of the way before they are deleted, so a cache mount is either
// whole or out of every build's sight. Blobs go through the content store's GC, whose grace
// period protects blobs a pull wrote and has not yet recorded; the layers of steps still
// cached are roots, so a rebuild from the cache need not compress them again.
import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { collectGarbage } from '../../content/index.js';
import type { Descriptor } from '../../image/index.js';
import { deleteCacheRecords } from '../../solver/index.js';
import { parseGoDuration } from '../../dockerfile/index.js';
import { KilnError } from '../../util/errors.js';
import { engineSnapshotter, type ImageEngine } from '../images/engine.js';
import { buildCacheLock } from './cache-lock.js';
import { prunedPrefix, takeInventory } from './cache-inventory.js';
import { selectForPrune, type CacheEntry, type CacheEntryType, type PruneSelection } from './prune-select.js';

export interface PruneOptions {
  /** Also entries shared with images (docker builder prune --all). */
  all?: boolean;
  /** Bytes of cache to keep, least recently used removed first (--keep-storage). */
  keepStorage?: number;
  /** `until=<duration>` (or its old name `unused-for`): keep what was used within it. */
  filters?: string[];
}

export interface PrunedEntry {
  id: string;
  type: CacheEntryType;
  size: number;
  lastUsedAt: string;
  shared: boolean;
}

export interface PruneResult {
  removed: PrunedEntry[];
  /** Bytes freed: the entries' and the blobs' that went with them. */
  reclaimed: number;
}

function invalidFilter(message: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', message, { details: { flag: '--filter' } });
}

/** The filters as BuildKit takes them: one `until` at most; anything else is refused. */
export function parsePruneFilters(filters: readonly string[]): { untilMs?: number } {
  let untilMs: number | undefined;
  for (const filter of filters) {
    const [key = '', value] = filter.split(/=(.*)/s);
    if (key !== 'until' && key !== 'unused-for') throw invalidFilter(`invalid filter '${key}'`);
    if (untilMs !== undefined) throw invalidFilter(`"${key}" filter expects only one value`);
    try {
      untilMs = Number(parseGoDuration(value ?? '') / 1_000_000n);
    } catch (err) {
      throw invalidFilter(`"${key}" filter expects a duration (e.g., '24h'): ${(err as Error).message}`);
    }
  }
  return untilMs === undefined ? {} : { untilMs };
}

export function pruneSelection(options: PruneOptions): PruneSelection {
  const { keepStorage } = options;
  if (keepStorage !== undefined && !(Number.isSafeInteger(keepStorage) && keepStorage >= 0)) {
    throw new KilnError('INVALID_ARGUMENT', `invalid keep-storage ${keepStorage}: expected a number of bytes`, { details: { flag: '--keep-storage' } });
  }
  return {
    ...parsePruneFilters(options.filters ?? []),
    ...(options.all === true ? { all: true } : {}),
    ...(keepStorage === undefined ? {} : { keepStorage }),
  };
}

/** Takes a directory out of sight (a name no build uses), then deletes it. */
async function removeDirectory(path: string): Promise<void> {
  const doomed = join(dirname(path), `${prunedPrefix}${randomBytes(8).toString('hex')}`);
  await rename(path, doomed);
  await rm(doomed, { recursive: true, force: true });
}

async function removeEntry(engine: ImageEngine, entry: CacheEntry): Promise<void> {
  if (entry.type === 'regular') {
    await deleteCacheRecords(engine.root, entry.records);
    await engineSnapshotter(engine).remove(entry.id);
  } else if (entry.path !== undefined) {
    await removeDirectory(entry.path);
  }
}

async function pruneLocked(engine: ImageEngine, selection: PruneSelection): Promise<PruneResult> {
  const now = selection.now ?? Date.now();
  const inventory = await takeInventory(engine);
  await deleteCacheRecords(engine.root, inventory.deadRecords);
  const doomed = selectForPrune(inventory.entries, { ...selection, now });
  for (const entry of doomed) await removeEntry(engine, entry);
  // Records of image layers free nothing (the layers are the images'); --all still drops them.
  if (selection.all === true && selection.keepStorage === undefined) {
    const old = inventory.imageRecords.filter((record) => selection.untilMs === undefined || record.lastUsedAt < now - selection.untilMs);
    await deleteCacheRecords(engine.root, old.map((record) => record.file));
  }
  const gone = new Set(doomed);
  const keptLayers = inventory.entries.filter((entry) => !gone.has(entry)).flatMap((entry): Descriptor[] => (entry.layer === undefined ? [] : [entry.layer]));
  // A lazy step snapshot's blob is its only copy, kept whether or not its layer file survived.
  const lazyLayers = await engineSnapshotter(engine).lazyLayers();
  const blobs = await collectGarbage(engine.content, engine.images, { roots: [...keptLayers, ...lazyLayers] });
  return {
    removed: doomed.map(({ id, type, size, lastUsedAt, shared }) => ({ id, type, size, lastUsedAt: new Date(lastUsedAt).toISOString(), shared })),
    reclaimed: doomed.reduce((sum, entry) => sum + entry.size, 0) + blobs.reclaimedBytes,
  };
}

/** Prunes the build cache of `engine`'s root; waits for builds in flight to end first. */
export async function pruneBuildCache(engine: ImageEngine, options: PruneOptions = {}): Promise<PruneResult> {
  return pruneWith(engine, pruneSelection(options));
}

/** A prune by a selection already checked (the GC's). */
export async function pruneWith(engine: ImageEngine, selection: PruneSelection): Promise<PruneResult> {
  const release = await buildCacheLock(engine).exclusive();
  try {
    return await pruneLocked(engine, selection);
  } finally {
    release();
  }
}
