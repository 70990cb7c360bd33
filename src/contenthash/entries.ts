// What a COPY selected, path by path, for naming the file that changed between two builds
// (issue 5): breadth-first from each selected source, each entry with the key it entered the
// content key with, at most `limit` entries. A directory's children are listed all together
// or not at all (the directory is then a `tree`), so that a path missing from one build's
// listing is known to be gone whenever its parent was listed whole.
import type { Digest } from '../content/index.js';
import type { IndexView } from './filtered-view.js';

export interface SelectedEntry {
  /** Relative to the context root; '' is the root. */
  path: string;
  key: Digest;
  /** `dir`: its children follow; `tree`: a directory whose children were left out. */
  type: 'file' | 'dir' | 'tree' | 'other';
}

/** Entries listed per selection at most: a record stays small however large the context. */
export const selectedEntriesLimit = 256;

/** Where an entry is, and where it is below its source (for include/exclude patterns). */
export interface EntryAt {
  path: string;
  rel: string;
}

/** The key `at` took part in the content key with; undefined when the patterns left it out. */
export type EntryKey = (at: EntryAt) => Promise<Digest | undefined>;

export async function listSelected(index: IndexView, roots: readonly string[], keyOf: EntryKey, limit: number): Promise<SelectedEntry[]> {
  const listed: SelectedEntry[] = [];
  const queue: EntryAt[] = roots.map((path) => ({ path, rel: '' }));
  for (let at = queue.shift(); at !== undefined; at = queue.shift()) {
    const entry = index.get(at.path);
    const key = entry === undefined ? undefined : await keyOf(at);
    if (entry === undefined || key === undefined) continue;
    const children = entry.type === 'dir' ? entry.children : [];
    const whole = entry.type === 'dir' && listed.length + 1 + queue.length + children.length <= limit;
    listed.push({ path: at.path, key, type: entry.type === 'file' ? 'file' : entry.type !== 'dir' ? 'other' : whole ? 'dir' : 'tree' });
    if (!whole) continue;
    const { path, rel } = at;
    for (const name of children) queue.push({ path: path === '' ? name : `${path}/${name}`, rel: rel === '' ? name : `${rel}/${name}` });
  }
  return listed;
}
