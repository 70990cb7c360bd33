// A kept context index brought up to date from the paths its watch saw change (watch.ts), so
// that a rebuild after editing one file re-reads that file instead of walking the whole
// context again: on a 5,000-file monorepo the walk and the keys over it cost ~150 ms, the
// refresh well under one.
//
// Only changes to files, links and other non-directories of directories the index already
// holds are applied here. A directory appearing, going or changing, or .dockerignore
// exceptions (which can re-include what sits below an excluded directory) make the answer
// "walk again": those are where a partial re-read could go wrong, and they are rare between
// two builds of one project.
import { posix } from 'node:path';
import type { Digest } from '../content/index.js';
import type { PatternMatcher } from '../dockerfile/index.js';
import { ContextIndex, readEntry, type IndexEntry } from './context-index.js';
import { sortByName } from './record.js';

export interface RefreshedIndex {
  index: ContextIndex;
  /** Paths whose content keys, and those of every directory above them, no longer hold. */
  changed: string[];
  /** Paths that left the context (the stat cache can forget them). */
  removed: string[];
}

function parentOf(path: string): string {
  const parent = posix.dirname(path);
  return parent === '.' ? '' : parent;
}

/** `children` with `name` added or taken out, in byte order, as a new array. */
function withChild(children: readonly string[], name: string, present: boolean): string[] {
  const others = children.filter((child) => child !== name);
  return present ? sortByName([...others, name].map((child) => ({ name: child }))).map((item) => item.name) : others;
}

/**
 * `index` with `paths` (relative, each reported changed) read again from `contextDir`; undefined
 * when the context must be walked again instead. `index` itself is left as it was: a build
 * still hashing with it keeps its view.
 */
export function refreshIndex(contextDir: string, index: ContextIndex, paths: Iterable<string>, ignore: PatternMatcher | undefined): RefreshedIndex | undefined {
  if (ignore?.exclusions === true) return undefined;
  const entries = new Map<string, IndexEntry>(index.entries);
  const changed: string[] = [];
  const removed: string[] = [];
  for (const path of new Set(paths)) {
    if (path === '' || entries.get(path)?.type === 'dir') return undefined;
    const parentPath = parentOf(path);
    const parent = entries.get(parentPath);
    if (parent?.type !== 'dir') return undefined;
    const found = ignore?.matches(path) === true ? undefined : readEntry(contextDir, path);
    if (found?.type === 'dir') return undefined;
    const present = found !== undefined;
    if (present) entries.set(path, found);
    else if (entries.delete(path)) removed.push(path);
    // The parent's listing changes; its own attributes, if they changed, were an event on it.
    entries.set(parentPath, { ...parent, children: withChild(parent.children, posix.basename(path), present) });
    changed.push(path);
  }
  return { index: new ContextIndex(entries), changed, removed };
}

/** `keys` without those of `changed` paths and of every directory above them, as a new map. */
export function keysAfter(keys: ReadonlyMap<string, Promise<Digest>>, changed: readonly string[]): Map<string, Promise<Digest>> {
  const kept = new Map(keys);
  for (const path of changed) {
    kept.delete(path);
    for (let dir = path; dir !== ''; ) {
      dir = parentOf(dir);
      kept.delete(dir);
    }
  }
  return kept;
}
