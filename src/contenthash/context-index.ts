// What a build context holds, as the solver may see it: every entry .dockerignore keeps, with
// its lstat and (for directories) its children. Taken once per BuildContext, so every COPY of
// one build hashes the same view of the context even if files change meanwhile.
import type { BigIntStats } from 'node:fs';
import { lstatSync, readlinkSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { join, posix } from 'node:path';
import { PatternMatcher, walkContext, type WalkOptions } from '../dockerfile/index.js';
import { KilnError } from '../util/errors.js';
import { entryType, sortByName, type EntryType } from './record.js';

export interface IndexEntry {
  stats: BigIntStats;
  type: EntryType;
  /** A symlink's target; '' otherwise. */
  linkname: string;
  /** A directory's kept children's names in byte order; empty otherwise. */
  children: string[];
}

// An lstat of a cached inode takes microseconds, and the thread pool's round trip costs more
// than that: the context is stat'ed synchronously, in batches small enough (a millisecond or
// so) that the event loop keeps serving other work between them.
const STAT_BATCH = 256;

// Symlinks followed while resolving one path before giving up (Linux's MAXSYMLINKS is 40).
const MAX_SYMLINK_HOPS = 40;

export class ContextIndex {
  /** Entries by path relative to the context root, '/'-separated; '' is the root. */
  readonly entries: ReadonlyMap<string, IndexEntry>;

  constructor(entries: ReadonlyMap<string, IndexEntry>) {
    this.entries = entries;
  }

  get(path: string): IndexEntry | undefined {
    return this.entries.get(path);
  }

  /** Paths of the context's regular files (the ones the stat cache keeps). */
  filePaths(): Set<string> {
    return new Set([...this.entries].filter(([, entry]) => entry.type === 'file').map(([path]) => path));
  }

  /**
   * Resolves symlinks among the elements of a clean relative path, inside the context: an
   * absolute target starts again at the context root and `..` stops there, as BuildKit scopes
   * paths to a context. The last element is followed only when `followLast`. A missing element
   * ends resolution; the caller reports the path as not found.
   */
  resolve(path: string, followLast: boolean): string {
    const pending = path === '' ? [] : path.split('/');
    const resolved: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const element = pending.shift() as string;
      if (element === '..') {
        resolved.pop();
        continue;
      }
      const candidate = [...resolved, element].join('/');
      const entry = this.entries.get(candidate);
      const follow = entry?.type === 'symlink' && (pending.length > 0 || followLast);
      if (!follow) {
        resolved.push(element);
        continue;
      }
      if (++hops > MAX_SYMLINK_HOPS) {
        throw new KilnError('INVALID_ARGUMENT', `too many levels of symbolic links resolving ${path} in the build context`);
      }
      const target = entry.linkname;
      if (target.startsWith('/')) resolved.length = 0;
      pending.unshift(...target.split('/').filter((part) => part !== '' && part !== '.'));
    }
    return resolved.join('/');
  }
}

/** Walks the context with `.dockerignore` applied and lstats what it keeps. */
export async function indexContext(contextDir: string, ignore: PatternMatcher | undefined, options: WalkOptions = {}): Promise<ContextIndex> {
  const rootStats = await lstat(contextDir, { bigint: true }).catch((err: unknown) => {
    throw new KilnError('NOT_FOUND', `build context ${contextDir} cannot be read: ${(err as Error).message}`, { cause: err });
  });
  if (!rootStats.isDirectory()) {
    throw new KilnError('INVALID_ARGUMENT', `build context ${contextDir} is not a directory`);
  }
  const paths = await walkContext(contextDir, ignore ?? new PatternMatcher([]), options);
  const entries = new Map<string, IndexEntry>([['', { stats: rootStats, type: 'dir', linkname: '', children: [] }]]);
  for (let start = 0; start < paths.length; start += STAT_BATCH) {
    if (start > 0) await nextTurn();
    for (const path of paths.slice(start, start + STAT_BATCH)) {
      const entry = readEntry(contextDir, path);
      if (entry !== undefined) entries.set(path, entry);
    }
  }
  linkChildren(entries);
  return new ContextIndex(entries);
}

/** The index entry of `path` as it is on disk now; undefined when it is gone. */
export function readEntry(contextDir: string, path: string): IndexEntry | undefined {
  const full = join(contextDir, path);
  try {
    const stats = lstatSync(full, { bigint: true });
    const type = entryType(Number(stats.mode));
    const linkname = type === 'symlink' ? readlinkSync(full) : '';
    return { stats, type, linkname, children: [] };
  } catch (err) {
    // Deleted between the walk and the lstat: the context no longer has it.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KilnError('INTERNAL', `cannot read ${full}: ${(err as Error).message}`, { cause: err });
  }
}

function linkChildren(entries: Map<string, IndexEntry>): void {
  const names = new Map<string, Array<{ name: string }>>();
  for (const path of entries.keys()) {
    if (path === '') continue;
    const parent = posix.dirname(path);
    const key = parent === '.' ? '' : parent;
    const list = names.get(key) ?? [];
    list.push({ name: posix.basename(path) });
    names.set(key, list);
  }
  for (const [dir, list] of names) {
    const entry = entries.get(dir);
    if (entry?.type === 'dir') entry.children = sortByName(list).map((item) => item.name);
  }
}
