// A build context's index and keys kept between builds of one daemon, valid while nothing in
// the context changed: a no-op rebuild then neither walks nor stats the context. Change is
// learnt from inotify (fs.watch on every directory the walk read, armed just before reading
// it, so whatever the listing and the lstats missed is reported). The paths events name are
// collected, and the next build re-reads just those (index-refresh.ts) when they are a few
// files; anything else (a directory's own event, many paths, a refresh that declines) makes
// the whole context untrusted, and the next build walks it again as it would without a watch.
//
// inotify drops events when its queue overflows, and libuv does not pass the overflow on. The
// queue only overflows once it holds max_queued_events, and every event it held is still
// delivered, so the daemon counts every event its watches receive (untrusted ones stay open
// to count) and trusts no kept context across that many events: an overflow anywhere since
// a context was kept makes it walk again.
//
// What inotify does not see (writes through a hard link from outside the context, mmap'ed
// writes, network filesystems changed on another host) is outside what a build context is
// expected to be; a context directory replaced wholesale is caught by its root's identity.
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Digest } from '../content/index.js';
import type { PatternMatcher } from '../dockerfile/index.js';
import type { ContextIndex } from './context-index.js';
import { keysAfter, refreshIndex } from './index-refresh.js';
import type { ContentKeyCache } from './stat-cache.js';

/** What a build learnt about its context, for the next build to reuse when nothing changed. */
export interface KeptContext {
  index: ContextIndex;
  /** Content keys by context path, as computed (or being computed) so far. */
  keys: Map<string, Promise<Digest>>;
  /** The persistent stat cache, for keys a later build asks for that this one did not. */
  cache: ContentKeyCache;
  statTimeNs: bigint;
}

/** Contexts watched at once; the least recently built is let go first. */
const MAX_CONTEXTS = 16;
/** Beyond this many directories a context is walked every build instead. */
const MAX_DIRECTORIES = 8192;
/** Beyond this many changed paths a walk is cheaper than re-reading them one by one. */
const MAX_CHANGED_PATHS = 64;

/** Events the daemon's watches received, all of them: an overflow is at least a queue's worth. */
let eventsReceived = 0;

/** Events after which the queue may have overflowed: half the kernel's queue, for margin. */
const overflowAfter = ((): number => {
  try {
    return Math.floor(Number(readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8')) / 2) || 1024;
  } catch {
    return 1024;
  }
})();

export class ContextWatch {
  readonly #watchers: FSWatcher[] = [];
  #changed = false;
  #kept: KeptContext | undefined;
  /** eventsReceived when the watch began, before its walk: refreshes do not restart the count. */
  readonly #startedAt = eventsReceived;
  /** Paths events named since #kept was taken. */
  #changedPaths = new Set<string>();
  /** The refresh under way; it resolves to the number of paths it read again. */
  #refreshing: Promise<number> | undefined;

  constructor(
    readonly contextDir: string,
    /** The .dockerignore patterns the index was taken with. */
    readonly ignoreKey: string,
    /** The context root's identity (device and inode) when the watch began. */
    readonly rootIdentity: string,
    private readonly ignore: PatternMatcher | undefined,
  ) {}

  /** True while the kept context can stand for the directory on disk, once refreshed. */
  get trusted(): boolean {
    if (!this.#changed && this.#kept !== undefined && eventsReceived - this.#startedAt >= overflowAfter) this.#untrust();
    return !this.#changed && this.#kept !== undefined;
  }

  /**
   * The kept context, brought up to date with the paths changed since; undefined when the
   * context must be walked again. Events are delivered on the event loop's poll phase, so a
   * turn of it comes first: an edit made just before the build asked is then counted.
   */
  async current(): Promise<{ kept: KeptContext; reread: number } | undefined> {
    await nextTurn();
    await nextTurn();
    let reread = 0;
    while (this.trusted) {
      if (this.#refreshing !== undefined) {
        reread += await this.#refreshing;
        continue;
      }
      const kept = this.#kept;
      if (this.#changedPaths.size === 0 && kept !== undefined) return { kept, reread };
      this.#refreshing = this.#refresh().finally(() => {
        this.#refreshing = undefined;
      });
    }
    return undefined;
  }

  /** Watches directory `dir` (relative, '' for the root); call before reading it. */
  arm(dir: string): void {
    if (this.#changed) return;
    if (this.#watchers.length >= MAX_DIRECTORIES) {
      this.#untrust();
      return;
    }
    try {
      const watcher = watch(join(this.contextDir, dir), { persistent: false }, (_event, name) => this.#onEvent(dir, name));
      watcher.on('error', () => this.#untrust());
      this.#watchers.push(watcher);
    } catch {
      // A directory that vanished between its parent's listing and now: the walk reports it
      // gone, but the index cannot be trusted to stay right without a watch.
      this.#untrust();
    }
  }

  /**
   * Keeps what a build learnt, unless the watch failed since the walk began. Paths changed
   * during the walk are re-read by the next build's refresh.
   */
  keep(kept: KeptContext): void {
    if (!this.#changed) this.#kept = kept;
  }

  close(): void {
    for (const watcher of this.#watchers.splice(0)) watcher.close();
    this.#changed = true;
    this.#kept = undefined;
  }

  /** Re-reads the changed paths into a new kept context; paths changing meanwhile wait for the next. */
  async #refresh(): Promise<number> {
    // One turn first: a burst of events (an editor's save) is taken whole.
    await nextTurn();
    const kept = this.#kept;
    const paths = this.#changedPaths;
    this.#changedPaths = new Set();
    if (kept === undefined || this.#changed) return 0;
    let refreshed: ReturnType<typeof refreshIndex>;
    try {
      refreshed = refreshIndex(this.contextDir, kept.index, paths, this.ignore);
    } catch {
      refreshed = undefined;
    }
    if (refreshed === undefined) {
      this.#untrust();
      return 0;
    }
    kept.cache.forget(refreshed.removed);
    this.#kept = { ...kept, index: refreshed.index, keys: keysAfter(kept.keys, refreshed.changed) };
    return refreshed.changed.length;
  }

  #onEvent(dir: string, name: string | Buffer | null): void {
    eventsReceived++;
    if (this.#changed) return;
    // An event on the watched directory itself comes named as the directory.
    if (typeof name !== 'string' || name === basename(dir === '' ? this.contextDir : dir)) {
      this.#untrust();
      return;
    }
    const path = dir === '' ? name : `${dir}/${name}`;
    // Changes to what .dockerignore leaves out (a build's own output, a log) change nothing
    // the index holds, unless an exception pattern could re-include something below them.
    if (this.ignore !== undefined && this.ignore.matches(path) && this.ignore.canSkipDir(path)) return;
    this.#changedPaths.add(path);
    if (this.#changedPaths.size > MAX_CHANGED_PATHS) this.#untrust();
  }

  /** Stops trusting the kept context; the watchers stay open, to count events, until close(). */
  #untrust(): void {
    this.#changed = true;
    this.#kept = undefined;
    this.#changedPaths.clear();
  }
}

/** The daemon's watches by context directory, least recently used first. */
const watches = new Map<string, ContextWatch>();

/** The identity of the context root: a directory replaced wholesale is another context. */
export async function rootIdentity(contextDir: string): Promise<string> {
  const stats = await lstat(contextDir, { bigint: true });
  return `${stats.dev}:${stats.ino}`;
}

/** The watch of `contextDir` if its kept context can be reused as it is. */
export function trustedWatch(contextDir: string, ignoreKey: string, identity: string): ContextWatch | undefined {
  const found = watches.get(contextDir);
  if (found === undefined || !found.trusted || found.ignoreKey !== ignoreKey || found.rootIdentity !== identity) return undefined;
  watches.delete(contextDir);
  watches.set(contextDir, found);
  return found;
}

/** Starts a new watch of `contextDir` in place of any earlier one. */
export function beginWatch(contextDir: string, ignoreKey: string, identity: string, ignore: PatternMatcher | undefined): ContextWatch {
  watches.get(contextDir)?.close();
  watches.delete(contextDir);
  const started = new ContextWatch(contextDir, ignoreKey, identity, ignore);
  watches.set(contextDir, started);
  for (const [dir, old] of watches) {
    if (watches.size <= MAX_CONTEXTS) break;
    old.close();
    watches.delete(dir);
  }
  return started;
}

/** Stops every watch (a daemon shutting down, a test ending). */
export function closeContextWatches(): void {
  for (const found of watches.values()) found.close();
  watches.clear();
}
