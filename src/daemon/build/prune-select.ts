// Which cache entries a prune removes, and in what order, as BuildKit's prune decides:
// - without `all`, entries shared with an image (a step whose layer is in a stored image) stay:
//   `docker builder prune` removes only the cache no image holds;
// - `until` keeps entries used more recently than that long ago;
// - `keepStorage` stops once the cache's total size is at most that many bytes;
// - least recently used first. A step snapshot's parent is used whenever the step is, so it
//   counts as used as late as its latest descendant, and it goes only after all of them
//   (a snapshot cannot be removed while another builds on it).
// Dangling entries (a step snapshot no record names) go whatever the options.
import type { Descriptor } from '../../image/index.js';

export type CacheEntryType = 'regular' | 'exec.cachemount' | 'source.local';

export interface CacheEntry {
  /** A step snapshot's key; a cache mount's or stat cache's file name. */
  id: string;
  type: CacheEntryType;
  /** Bytes on disk of its own (not its parent's). */
  size: number;
  /** Milliseconds since the epoch. */
  lastUsedAt: number;
  /** Part of a stored image: kept unless `all`. */
  shared: boolean;
  /** No record names it: never a cache hit again. */
  dangling: boolean;
  /** Files of the records naming it. */
  records: string[];
  /** The step snapshot it builds on, when that is a step's too. */
  parent?: string;
  /** Its layer blob, when one was made of it. */
  layer?: Descriptor;
  /** Where a directory entry lives. */
  path?: string;
}

export interface PruneSelection {
  all?: boolean;
  /** Keep entries used less than this many milliseconds before `now`. */
  untilMs?: number;
  /** Stop removing once the total is at most this many bytes. */
  keepStorage?: number;
  now?: number;
}

/** `lastUsedAt` raised to the latest of each entry's descendants. */
function effectiveUse(entries: readonly CacheEntry[]): Map<string, number> {
  const byId = new Map(entries.map((entry) => [entry.id, entry]));
  const used = new Map(entries.map((entry) => [entry.id, entry.lastUsedAt]));
  for (const entry of entries) {
    for (let parent = entry.parent === undefined ? undefined : byId.get(entry.parent); parent !== undefined; parent = parent.parent === undefined ? undefined : byId.get(parent.parent)) {
      if ((used.get(parent.id) ?? 0) >= entry.lastUsedAt) break;
      used.set(parent.id, entry.lastUsedAt);
    }
  }
  return used;
}

/** The entries to remove, in removal order (children before their parents). */
export function selectForPrune(entries: readonly CacheEntry[], options: PruneSelection = {}): CacheEntry[] {
  const now = options.now ?? Date.now();
  const used = effectiveUse(entries);
  const children = new Map<string, number>();
  for (const entry of entries) if (entry.parent !== undefined) children.set(entry.parent, (children.get(entry.parent) ?? 0) + 1);
  let total = cacheSize(entries);
  const allowed = (entry: CacheEntry): boolean => entry.dangling || (
    (options.all === true || !entry.shared)
    && (options.untilMs === undefined || (used.get(entry.id) ?? 0) < now - options.untilMs));
  const order = (a: CacheEntry, b: CacheEntry): number =>
    Number(b.dangling) - Number(a.dangling) || (used.get(a.id) ?? 0) - (used.get(b.id) ?? 0) || a.id.localeCompare(b.id);
  const pending = new Set(entries.filter(allowed));
  const removed: CacheEntry[] = [];
  for (;;) {
    const leaves = [...pending].filter((entry) => (children.get(entry.id) ?? 0) === 0).sort(order);
    const next = leaves[0];
    if (next === undefined) break;
    // Dangling entries go even under the cap: they hold space and can never be used.
    if (!next.dangling && options.keepStorage !== undefined && total <= options.keepStorage) break;
    pending.delete(next);
    removed.push(next);
    total -= next.size;
    if (next.parent !== undefined) children.set(next.parent, (children.get(next.parent) ?? 1) - 1);
  }
  return removed;
}

/** The cache's total size. */
export function cacheSize(entries: readonly CacheEntry[]): number {
  return entries.reduce((sum, entry) => sum + entry.size, 0);
}
