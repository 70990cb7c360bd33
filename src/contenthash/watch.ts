// A build context's index and keys kept between builds of one daemon, valid while nothing in
// the context changed: a no-op rebuild then neither walks nor stats the context. Change is
// learnt from inotify (fs.watch on every directory the walk read, armed just before reading
// it, so whatever the listing and the lstats missed is reported). Any event that may touch
// what the index holds makes the whole context untrusted, and the next build walks it again
// as it would without a watch. Whole-context granularity keeps this safe under inotify's
// queue overflow: an overflowing burst still delivers its first events, and one is enough.
//
// What inotify does not see (writes through a hard link from outside the context, mmap'ed
// writes, network filesystems changed on another host) is outside what a build context is
// expected to be; a context directory replaced wholesale is caught by its root's identity.
import { watch, type FSWatcher } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../content/index.js';
import type { PatternMatcher } from '../dockerfile/index.js';
import type { ContextIndex } from './context-index.js';
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

export class ContextWatch {
  readonly #watchers: FSWatcher[] = [];
  #changed = false;
  #kept: KeptContext | undefined;

  constructor(
    readonly contextDir: string,
    /** The .dockerignore patterns the index was taken with. */
    readonly ignoreKey: string,
    /** The context root's identity (device and inode) when the watch began. */
    readonly rootIdentity: string,
    private readonly ignore: PatternMatcher | undefined,
  ) {}

  /** True while the kept context can stand for the directory on disk. */
  get trusted(): boolean {
    return !this.#changed && this.#kept !== undefined;
  }

  get kept(): KeptContext | undefined {
    return this.trusted ? this.#kept : undefined;
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

  /** Keeps what a build learnt, unless something changed since the walk began. */
  keep(kept: KeptContext): void {
    if (!this.#changed) this.#kept = kept;
  }

  close(): void {
    for (const watcher of this.#watchers.splice(0)) watcher.close();
    this.#kept = undefined;
  }

  #onEvent(dir: string, name: string | Buffer | null): void {
    if (this.#changed) return;
    // Changes to what .dockerignore leaves out (a build's own output, a log) change nothing
    // the index holds, unless an exception pattern could re-include something below them.
    if (typeof name === 'string' && this.ignore !== undefined) {
      const path = dir === '' ? name : `${dir}/${name}`;
      if (this.ignore.matches(path) && this.ignore.canSkipDir(path)) return;
    }
    this.#untrust();
  }

  #untrust(): void {
    this.#changed = true;
    this.close();
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
