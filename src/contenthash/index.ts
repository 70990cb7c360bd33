// Content keys of a build context: what the solver mixes into a COPY's cache key, computed from
// the files in place with a persistent stat cache so unchanged files are never read again.
export {
  openContext, BuildContext, DEFAULT_INLINE_LIMIT,
  type ContextSelection, type ContextStats, type ContextOptions,
} from './context.js';
export { closeHashPool } from './hash-pool.js';
export { selectedEntriesLimit, type SelectedEntry } from './entries.js';
export { closeContextWatches } from './watch.js';
export type { ContextIndex, IndexEntry } from './context-index.js';
export type { IndexView } from './filtered-view.js';
