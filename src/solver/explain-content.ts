// Naming the file that changed between two builds of a content-keyed step: the two bounded
// listings of what the step selected (path, key, type; breadth-first, each listed directory
// with all of its children) are compared, and the most specific difference wins. A path seen
// on one side only counts as added or removed when its parent was listed whole on the other
// side; otherwise the listing was merely cut there.
import type { ContentEntry } from './types.js';

type Listing = ReadonlyMap<string, ContentEntry>;

function parentOf(path: string): string | undefined {
  if (path === '') return undefined;
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** Whether `path` is a selected source itself (its parent is not part of the listing). */
function isRoot(listing: Listing, path: string): boolean {
  const parent = parentOf(path);
  return parent === undefined || !listing.has(parent);
}

/** Whether `other` listed every child of `path`'s parent, so its lack of `path` is real. */
function listedWhole(other: Listing, path: string): boolean {
  const parent = parentOf(path);
  return parent !== undefined && other.get(parent)?.type === 'dir';
}

function noun(entry: ContentEntry): string {
  if (entry.path === '') return 'the build context';
  return entry.type === 'file' ? `file ${entry.path}` : entry.type === 'other' ? `${entry.path}` : `directory ${entry.path}`;
}

function changed(before: ContentEntry, after: ContentEntry): string | undefined {
  if (before.type === 'dir' && after.type === 'dir') return undefined;
  if (before.type === 'tree' || after.type === 'tree') return after.path === '' ? 'files in the build context changed' : `files under ${after.path} changed`;
  return before.type === after.type ? `${noun(after)} changed` : `${after.path} changed type`;
}

/** The first difference, in user words; undefined when the listings show none. */
export function contentChange(before: readonly ContentEntry[], after: readonly ContentEntry[]): string | undefined {
  const old: Listing = new Map(before.map((entry) => [entry.path, entry]));
  const now: Listing = new Map(after.map((entry) => [entry.path, entry]));
  for (const entry of after) {
    const was = old.get(entry.path);
    if (was === undefined) {
      if (listedWhole(old, entry.path) || (isRoot(now, entry.path) && isRoot(old, entry.path))) return `${noun(entry)} added`;
    } else if (was.key !== entry.key) {
      const change = changed(was, entry);
      if (change !== undefined) return change;
    }
  }
  for (const entry of before) {
    if (!now.has(entry.path) && (listedWhole(now, entry.path) || isRoot(old, entry.path))) return `${noun(entry)} removed`;
  }
  // Only a directory itself differs (its mode or owner): its children are the same. The
  // deepest such one is meant, its parents differ only because it does.
  const dir = [...after].reverse().find((entry) => old.get(entry.path)?.key !== undefined && old.get(entry.path)?.key !== entry.key);
  return dir === undefined ? undefined : `${noun(dir)} changed`;
}
