// RUN --mount=type=cache: a directory that outlives builds, one per id under
// `<root>/cache/mounts/`. `sharing=locked` steps take turns, `private` ones get a directory of
// their own while it is in use, `shared` ones use it together.
// A cache made from a stage's path (`from=`, `source=`) is a cache of its own, keyed by the id
// and that tree as BuildKit keys it by the base ref, and starts as a copy of the tree. Its
// `uid`, `gid` and `mode` apply when the directory is made; a cache that exists keeps what the
// steps did to it.
import { createHash, randomBytes } from 'node:crypto';
import { access, chmod, chown, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ExecMount } from '../llb/index.js';
import type { BuildOpContext } from './context.js';
import { copyTree, directorySource } from './copy-tree.js';

/** `locked` cache users of one directory, one after another (within this process). */
const lockedCaches = new Map<string, Promise<void>>();
/** `private` cache directories in use. */
const privateInUse = new Set<string>();

export type Undo = () => Promise<void> | void;

/** Fills a new cache's directory with what an imported cache holds for it (BuildOpContext.cacheMountImports). */
export type CacheFill = (dir: string) => Promise<void>;

/** Where a cache's seed comes from: a directory (a mounted view of the `from=` tree). */
export interface CacheSeed {
  /** The input's snapshot key and selector: part of the cache's identity. */
  identity: string;
  /** Mounts the tree and returns its directory at the selector, with its own undo. */
  open(): Promise<{ dir: string; close: Undo }>;
}

function cacheDir(context: BuildOpContext, id: string, seed: CacheSeed | undefined): string {
  return cacheMountDir(context.engine.root, seed === undefined ? id : `${id}\0${seed.identity}`);
}

/** The directory of cache `id` (one not made from a stage's tree) under store `root`. */
export function cacheMountDir(root: string, id: string): string {
  return join(root, 'cache', 'mounts', createHash('sha256').update(id).digest('hex'));
}

async function takeTurn(dir: string): Promise<() => void> {
  const previous = lockedCaches.get(dir) ?? Promise.resolve();
  let done = (): void => undefined;
  const turn = new Promise<void>((resolve) => {
    done = resolve;
  });
  const queued = previous.then(() => turn);
  lockedCaches.set(dir, queued);
  await previous;
  return () => {
    done();
    // The last in the queue leaves no entry behind.
    if (lockedCaches.get(dir) === queued) lockedCaches.delete(dir);
  };
}

/**
 * Makes the cache directory when it does not exist: filled and owned in a directory beside
 * it, then renamed into place, so a concurrent step never sees a half-made cache.
 */
async function createCache(dir: string, options: NonNullable<ExecMount['cache']>, seed: CacheSeed | undefined, imported: CacheFill | undefined): Promise<void> {
  if (await access(dir).then(() => true, () => false)) return;
  const staging = `${dir}.new-${randomBytes(4).toString('hex')}`;
  await mkdir(dirname(dir), { recursive: true });
  try {
    if (seed === undefined) {
      await mkdir(staging);
      await imported?.(staging);
    } else {
      const source = await seed.open();
      try {
        await copyTree(directorySource(source.dir), '', staging, {});
      } finally {
        await source.close();
      }
    }
    if (options.uid !== undefined || options.gid !== undefined) await chown(staging, options.uid ?? 0, options.gid ?? 0);
    if (options.mode !== undefined) await chmod(staging, options.mode);
    await rename(staging, dir).catch((err: NodeJS.ErrnoException) => {
      // Another step made it first: theirs stands.
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** The host directory for a cache mount; `undo` gets what ends the step's use of it. */
export async function cacheSource(context: BuildOpContext, mount: ExecMount, seed: CacheSeed | undefined, privateDir: string, undo: Undo[]): Promise<string> {
  const options = mount.cache ?? { id: mount.dest, sharing: 'shared' };
  let dir = cacheDir(context, options.id, seed);
  if (options.sharing === 'locked') undo.push(await takeTurn(dir));
  if (options.sharing === 'private') {
    if (privateInUse.has(dir)) dir = privateDir;
    else {
      privateInUse.add(dir);
      const taken = dir;
      undo.push(() => void privateInUse.delete(taken));
    }
  }
  await createCache(dir, options, seed, seed === undefined ? context.cacheMountImports?.(options.id) : undefined);
  return dir;
}
