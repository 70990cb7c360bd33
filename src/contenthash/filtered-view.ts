// A COPY's include patterns (--parents) and --exclude patterns, applied to what it selects.
// The content key (context.ts) and the copy (a view of the index, read by ops/copy-tree.ts)
// keep exactly the same entries: patterns match paths relative to each selected directory,
// a directory the patterns leave out still appears when something below it is kept, and a
// file a wildcard matched is matched by its name.
import { posix } from 'node:path';
import type { PatternMatcher } from '../dockerfile/index.js';
import type { ContextIndex, IndexEntry } from './context-index.js';

export interface SelectionFilter {
  include: PatternMatcher | undefined;
  exclude: PatternMatcher | undefined;
}

/** What copying reads of an index: entries by path, a directory's children among them. */
export interface IndexView {
  get(path: string): IndexEntry | undefined;
}

/** A file (or link) at `rel` below a selected directory, or a wildcard's match by its name, is kept. */
export function keepsLeaf(filter: SelectionFilter, rel: string): boolean {
  return !(filter.exclude?.matches(rel) ?? false) && (filter.include?.matches(rel) ?? true);
}

/** A wildcard's matches the patterns keep: files by name; directories are filtered inside. */
export function keptMatches(index: ContextIndex, matches: string[], filter: SelectionFilter | undefined): string[] {
  if (filter === undefined) return matches;
  return matches.filter((path) => index.get(path)?.type === 'dir' || keepsLeaf(filter, posix.basename(path)));
}

/** The index as a copy of `roots` (selected paths) under `filter` sees it. */
export function filteredView(index: ContextIndex, roots: string[], filter: SelectionFilter): IndexView {
  const children = new Map<string, string[]>();
  const keepDir = (path: string, rel: string, entry: IndexEntry): boolean => {
    const excluded = rel !== '' && (filter.exclude?.matches(rel) ?? false);
    const included = rel === '' || (filter.include?.matches(rel) ?? true);
    if (excluded && filter.exclude?.canSkipDir(rel) === true) return false;
    const kept = entry.children.filter((name) => {
      const childPath = path === '' ? name : `${path}/${name}`;
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const child = index.get(childPath) as IndexEntry;
      return child.type === 'dir' ? keepDir(childPath, childRel, child) : keepsLeaf(filter, childRel);
    });
    if (kept.length === 0 && rel !== '' && (excluded || !included)) return false;
    children.set(path, kept);
    return true;
  };
  for (const root of roots) {
    const entry = index.get(root);
    if (entry?.type === 'dir') keepDir(root, '', entry);
  }
  return {
    get: (path) => {
      const entry = index.get(path);
      const kept = children.get(path);
      return entry === undefined || kept === undefined ? entry : { ...entry, children: kept };
    },
  };
}
