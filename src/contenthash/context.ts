// A build context as the solver sees it: content keys for the sources of a COPY, computed from
// the files in place (the daemon reads a local context directly, with no transfer). Keys of
// unchanged files come from the persistent stat cache; changed ones are hashed once per
// BuildContext however many COPYs select them, large ones on the hash pool.
import { resolve as resolvePath, posix } from 'node:path';
import type { Digest } from '../content/index.js';
import { PatternMatcher } from '../dockerfile/index.js';
import { KilnError } from '../util/errors.js';
import { ContextIndex, indexContext, type IndexEntry } from './context-index.js';
import { listSelected, selectedEntriesLimit, type EntryAt, type SelectedEntry } from './entries.js';
import type { FileHashTask } from './file-hash.js';
import { hashFileOffThread } from './hash-pool.js';
import { InlineHasher } from './inline-hasher.js';
import { combineKeys, directoryKey, encodeHeader, headerOf, leafKey, type ChildKey } from './record.js';
import { ContentKeyCache, fileIdentity, isRacy } from './stat-cache.js';
import { filteredView, keptMatches, type IndexView, type SelectionFilter } from './filtered-view.js';
import { matchWildcard } from './select.js';
import { containsWildcards } from './wildcard.js';
import { beginWatch, rootIdentity, trustedWatch, type ContextWatch } from './watch.js';

/** The sources of one COPY/ADD, as the Dockerfile frontend passes them. */
export interface ContextSelection {
  /** Source paths relative to the context root (a leading `/` is the root too). */
  paths: string[];
  /** Follow a symlink named by a source path itself (symlinks inside a tree never are). */
  followPaths?: boolean;
  /** Treat `*`, `?` and `[` as wildcards (Go filepath.Match); false for literal names. */
  allowWildcard: boolean;
  /** Keep only what these patterns match, relative to each selected source. */
  include?: string[];
  /** Leave out what these patterns match (COPY --exclude), relative to each selected source. */
  exclude?: string[];
}

/** Counters since the BuildContext was opened: what a checksum cost. */
export interface ContextStats {
  /** Files whose bytes were read and hashed. */
  filesHashed: number;
  bytesHashed: number;
  /** Of filesHashed, those hashed on the worker pool. */
  filesHashedOffThread: number;
  /** Files whose key came from the persistent stat cache. */
  cacheHits: number;
  /**
   * Entries lstat'ed to make the context's index: all of them on a walk, the few that changed
   * when a watched context's index was refreshed, none when it was reused as it was.
   */
  entriesRead: number;
}

export interface ContextOptions {
  /** Files smaller than this are hashed on the calling thread (default 64 KiB). */
  inlineLimit?: number;
  /**
   * Keep the index and keys for the next build of this directory and watch it for changes
   * (a daemon's builds); the value names the .dockerignore patterns the index depends on.
   */
  watchKey?: string;
}

export const DEFAULT_INLINE_LIMIT = 64 * 1024;

interface Loaded {
  index: ContextIndex;
  /** False when the index was reused from an earlier build (refreshed: its stat cache forgot what left). */
  walked: boolean;
  cache: ContentKeyCache;
  /** When the context was stat'ed; files changed shortly before are not trusted later. */
  statTimeNs: bigint;
}

/**
 * Opens the build context at `contextDir` with its `.dockerignore` matcher. Nothing is read
 * until the first checksum; `root` is the daemon's root, which holds the stat cache.
 */
export function openContext(root: string, contextDir: string, ignore: PatternMatcher | undefined, options: ContextOptions = {}): BuildContext {
  return new BuildContext(root, resolvePath(contextDir), ignore, options.inlineLimit ?? DEFAULT_INLINE_LIMIT, options.watchKey);
}

export class BuildContext {
  readonly contextDir: string;
  readonly #root: string;
  readonly #ignore: PatternMatcher | undefined;
  readonly #inlineLimit: number;
  readonly #watchKey: string | undefined;
  #keys = new Map<string, Promise<Digest>>();
  readonly #stats: ContextStats = { filesHashed: 0, bytesHashed: 0, filesHashedOffThread: 0, cacheHits: 0, entriesRead: 0 };
  #loaded: Promise<Loaded> | undefined;
  readonly #inline = new InlineHasher();

  constructor(root: string, contextDir: string, ignore: PatternMatcher | undefined, inlineLimit: number, watchKey?: string) {
    this.#root = root;
    this.#watchKey = watchKey;
    this.contextDir = contextDir;
    this.#ignore = ignore;
    this.#inlineLimit = inlineLimit;
  }

  get stats(): ContextStats {
    return { ...this.#stats };
  }

  /**
   * The content key of a COPY's sources. One literal path gives that entry's key (its own name
   * excluded); several paths, or a wildcard, give a key over the parts in order, naming each
   * path a wildcard matched. A missing literal path is NOT_FOUND; an empty wildcard match is
   * allowed; a path leaving the context is INVALID_ARGUMENT.
   */
  async checksum(selection: ContextSelection): Promise<Digest> {
    const sources = selection.paths.map(cleanSource);
    const filter = selectionFilter(selection);
    const loaded = await this.#load();
    const follow = selection.followPaths ?? false;
    const parts = await Promise.all(sources.map(async (source, i) => {
      if (selection.allowWildcard && containsWildcards(source)) {
        const matches = keptMatches(loaded.index, matchWildcard(loaded.index, source), filter);
        const keys = await Promise.all(matches.map((path) => this.#selectedKey(loaded, loaded.index.resolve(path, follow), filter)));
        return { wildcard: true, key: combineKeys(matches.map((name, j) => ({ name, key: keys[j] as Digest }))) };
      }
      const path = loaded.index.resolve(source, follow);
      if (loaded.index.get(path) === undefined) {
        throw new KilnError('NOT_FOUND', `${selection.paths[i] ?? source}: not found in the build context`, {
          hint: 'check the path and that .dockerignore does not exclude it',
        });
      }
      return { wildcard: false, key: await this.#selectedKey(loaded, path, filter) };
    }));
    const only = parts[0];
    return parts.length === 1 && only !== undefined && !only.wildcard ? only.key : combineKeys(parts);
  }

  /**
   * What a selection's content key was made of, entry by entry (bounded; entries.ts), so that
   * the next build can name the file that changed. Errors as checksum's.
   */
  async entries(selection: ContextSelection, limit = selectedEntriesLimit): Promise<SelectedEntry[]> {
    await this.checksum(selection);
    const loaded = await this.#load();
    const filter = selectionFilter(selection);
    const follow = selection.followPaths ?? false;
    const roots = selection.paths.map(cleanSource).flatMap((source) => (selection.allowWildcard && containsWildcards(source)
      ? keptMatches(loaded.index, matchWildcard(loaded.index, source), filter).map((path) => loaded.index.resolve(path, follow))
      : [loaded.index.resolve(source, follow)]));
    // The walk sees what the copy sees: only what the patterns keep.
    const view = filter === undefined ? loaded.index : filteredView(loaded.index, roots, filter);
    const keyOf = async ({ path, rel }: EntryAt): Promise<Digest | undefined> => {
      if (rel === '') return this.#selectedKey(loaded, path, filter);
      return filter === undefined ? this.#key(loaded, path) : this.#viewKey(loaded, view, path);
    };
    return listSelected(view, roots, keyOf, limit);
  }

  /**
   * What one source of a COPY names, for copying it: the context paths (a wildcard's matches,
   * in order, or the one literal path, symlinks resolved inside the context) and the index
   * of what .dockerignore keeps, to walk below them. Errors as checksum's.
   */
  async select(source: string, options: Omit<ContextSelection, 'paths'>): Promise<{ index: IndexView; paths: string[] }> {
    const clean = cleanSource(source);
    const { index } = await this.#load();
    const follow = options.followPaths ?? false;
    const filter = selectionFilter({ paths: [], ...options });
    const view = (paths: string[]): { index: IndexView; paths: string[] } => ({ index: filter === undefined ? index : filteredView(index, paths, filter), paths });
    if (options.allowWildcard && containsWildcards(clean)) {
      return view(keptMatches(index, matchWildcard(index, clean), filter).map((path) => index.resolve(path, follow)));
    }
    const path = index.resolve(clean, follow);
    if (index.get(path) === undefined) {
      throw new KilnError('NOT_FOUND', `${source}: not found in the build context`, {
        hint: 'check the path and that .dockerignore does not exclude it',
      });
    }
    return view([path]);
  }

  /** Persists the stat cache (if anything changed), forgetting files no longer in the context. */
  async save(): Promise<void> {
    if (this.#loaded === undefined) return;
    const { index, cache, walked } = await this.#loaded;
    // A reused index had its deletions forgotten as it was refreshed: only new keys are saved.
    if (!walked && !cache.dirty) return;
    cache.retain(index.filePaths());
    await cache.save();
  }

  #load(): Promise<Loaded> {
    this.#loaded ??= this.#watchKey === undefined ? this.#index(undefined) : this.#watched(this.#watchKey);
    return this.#loaded;
  }

  async #index(watch: ContextWatch | undefined): Promise<Loaded> {
    const statTimeNs = BigInt(Date.now()) * 1_000_000n;
    const [index, cache] = await Promise.all([
      indexContext(this.contextDir, this.#ignore, watch === undefined ? {} : { onDirectory: (dir) => watch.arm(dir) }),
      ContentKeyCache.open(this.#root, this.contextDir),
    ]);
    this.#stats.entriesRead = index.entries.size;
    return { index, cache, statTimeNs, walked: true };
  }

  /**
   * The last build's index and keys when nothing changed since, or with the few files that
   * changed read again (watch.ts); else a new walk, watched.
   */
  async #watched(watchKey: string): Promise<Loaded> {
    const identity = await rootIdentity(this.contextDir).catch(() => undefined);
    const found = identity === undefined ? undefined : trustedWatch(this.contextDir, watchKey, identity);
    const current = await found?.current();
    if (current !== undefined) {
      const { kept, reread } = current;
      this.#keys = kept.keys;
      this.#stats.entriesRead = reread;
      return { index: kept.index, cache: kept.cache, statTimeNs: kept.statTimeNs, walked: false };
    }
    if (identity === undefined) return this.#index(undefined);
    const watch = beginWatch(this.contextDir, watchKey, identity, this.#ignore);
    const loaded = await this.#index(watch);
    watch.keep({ ...loaded, keys: this.#keys });
    return loaded;
  }

  #selectedKey(loaded: Loaded, path: string, filter: SelectionFilter | undefined): Promise<Digest> {
    const entry = loaded.index.get(path);
    if (entry === undefined) {
      // A wildcard match or a followed symlink whose target the context does not have.
      return Promise.reject(new KilnError('NOT_FOUND', `${path}: not found in the build context`));
    }
    if (filter === undefined || entry.type !== 'dir') return this.#key(loaded, path);
    return this.#viewKey(loaded, filteredView(loaded.index, [path], filter), path);
  }

  /** A directory's key over what `view` keeps of it (the selection's include/exclude), as copied. */
  async #viewKey(loaded: Loaded, view: IndexView, path: string): Promise<Digest> {
    const entry = view.get(path) as IndexEntry;
    if (entry.type !== 'dir') return this.#key(loaded, path);
    const children = await Promise.all(entry.children.map(async (name): Promise<ChildKey> => ({
      name,
      key: await this.#viewKey(loaded, view, path === '' ? name : `${path}/${name}`),
    })));
    return directoryKey(headerOf(entry.stats, ''), children);
  }

  /** The unfiltered key of an entry, computed once per BuildContext. */
  #key(loaded: Loaded, path: string): Promise<Digest> {
    let key = this.#keys.get(path);
    if (key === undefined) {
      const keys = this.#keys;
      key = this.#computeKey(loaded, path);
      // A failure (a file changing while hashed) is not remembered for later builds.
      key.catch(() => keys.delete(path));
      keys.set(path, key);
    }
    return key;
  }

  async #computeKey(loaded: Loaded, path: string): Promise<Digest> {
    const entry = loaded.index.get(path) as IndexEntry;
    const header = headerOf(entry.stats, entry.linkname);
    if (entry.type === 'file') return this.#fileKey(loaded, path, entry);
    if (entry.type !== 'dir') return leafKey(header);
    const children = await Promise.all(entry.children.map(async (name): Promise<ChildKey> => ({
      name,
      key: await this.#key(loaded, path === '' ? name : `${path}/${name}`),
    })));
    return directoryKey(header, children);
  }

  async #fileKey(loaded: Loaded, path: string, entry: IndexEntry): Promise<Digest> {
    const identity = fileIdentity(entry.stats);
    const cached = loaded.cache.lookup(path, identity);
    if (cached !== undefined) {
      this.#stats.cacheHits++;
      return cached;
    }
    const task: FileHashTask = {
      path: posix.join(this.contextDir, path),
      header: encodeHeader(headerOf(entry.stats, '')),
      size: Number(entry.stats.size),
    };
    const offThread = task.size >= this.#inlineLimit;
    const result = await (offThread ? hashFileOffThread(task) : this.#inline.hash(task));
    if ('changed' in result) {
      throw new KilnError('CONFLICT', `${path} changed in the build context while it was being hashed`, {
        hint: 'run the build again once nothing is writing to the context',
      });
    }
    const key: Digest = `sha256:${result.hex}`;
    this.#stats.filesHashed++;
    this.#stats.bytesHashed += task.size;
    if (offThread) this.#stats.filesHashedOffThread++;
    if (!isRacy(entry.stats, loaded.statTimeNs)) loaded.cache.record(path, identity, key);
    return key;
  }
}

/** A source path as a clean path relative to the context root; refuses one that leaves it. */
function cleanSource(source: string): string {
  const rooted = source.startsWith('/');
  const clean = posix.normalize(rooted ? source : `./${source}`);
  if (!rooted && (clean === '..' || clean.startsWith('../'))) {
    throw new KilnError('INVALID_ARGUMENT', `${source}: forbidden path outside the build context`, {
      hint: 'COPY and ADD read only files inside the build context; move the file into it or widen the context',
    });
  }
  const relative = clean.replace(/^\/+/, '').replace(/\/+$/, '');
  return relative === '.' ? '' : relative;
}

function selectionFilter(selection: ContextSelection): SelectionFilter | undefined {
  const include = selection.include !== undefined && selection.include.length > 0 ? new PatternMatcher(selection.include) : undefined;
  const exclude = selection.exclude !== undefined && selection.exclude.length > 0 ? new PatternMatcher(selection.exclude) : undefined;
  return include === undefined && exclude === undefined ? undefined : { include, exclude };
}
