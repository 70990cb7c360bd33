// The differ: a snapshot's changes over its parent as an OCI layer tar (BuildKit's
// `cache/blobs.go` computeBlob, containerd's diff.Comparer).
//
// The parent's merged tree is needed to tell an added directory from one that is only in the
// upper dir because something below it changed (overlay), or to compare against at all (the
// copy fallback). It is read through a read-only view of the parent, mounted for the length of
// the diff and removed after it, whatever happens: the same tree a container on the parent sees.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BigIntStats } from 'node:fs';
import type { Writable } from 'node:stream';
import { LayerLookup, mountAll, unmountAll, type OverlaySnapshotter } from '../snapshot/index.js';
import { KilnError } from '../util/errors.js';
import { overlayChanges, statOrUndefined, walkingChanges } from './changes.js';
import { LayerTarWriter } from './layer-tar.js';
import { readXattrTree } from './xattr-tree.js';

export interface DiffOptions {
  /**
   * SOURCE_DATE_EPOCH: mtimes later than it are written as it (BuildKit's rewrite-timestamp),
   * so equal changes made at different times give equal layers.
   */
  sourceDateEpoch?: Date;
  signal?: AbortSignal;
}

export interface DiffResult {
  /** Entries in the tar; 0 when the snapshot changes nothing. */
  entries: number;
}

/**
 * Runs `write` on a tar writer into `out` and ends the tar, or aborts it (destroying `out`)
 * with the error; `checkAbort` throws CANCELED, naming `what`, once the signal fired.
 */
export async function writeTar(
  out: Writable, options: DiffOptions, what: string, write: (tar: LayerTarWriter, checkAbort: () => void) => Promise<void>,
): Promise<DiffResult> {
  const tar = new LayerTarWriter(out, options.sourceDateEpoch);
  const checkAbort = (): void => {
    if (options.signal?.aborted === true) throw new KilnError('CANCELED', `${what} was canceled`, { cause: options.signal.reason });
  };
  try {
    checkAbort();
    await write(tar, checkAbort);
    checkAbort();
    await tar.close();
    return { entries: tar.entries };
  } catch (err) {
    tar.abort(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
}

/** The keys of the differ's parent views: what a crash leaves of them is swept at the next start. */
export const diffViewPrefix = 'diff-base-';

/**
 * Mounts a read-only view of `parent` for `work`, and takes it down again after. A parent that
 * is one dir on disk (a single layer, or a full copy) is read in place: its view would only
 * bind-mount that dir, at the cost of two processes.
 */
export async function withParentView<T>(snapshotter: OverlaySnapshotter, parent: string, work: (dir: string) => Promise<T>): Promise<T> {
  const [single, ...more] = (await snapshotter.layerDirs(parent)) ?? [];
  if (single !== undefined && more.length === 0) return work(single);
  const key = `${diffViewPrefix}${randomBytes(6).toString('hex')}`;
  await mkdir(snapshotter.mountDir, { recursive: true });
  const target = await mkdtemp(join(snapshotter.mountDir, 'diff-'));
  try {
    await mountAll(await snapshotter.view(key, parent), target);
    return await work(target);
  } finally {
    await unmountAll(target);
    await snapshotter.remove(key).catch((err: unknown) => {
      if (!(err instanceof KilnError && err.code === 'NOT_FOUND')) throw err;
    });
    await rm(target, { recursive: true, force: true });
  }
}

/**
 * Writes the layer tar of snapshot `key` (committed, or active and not being written to) over
 * its parent into `out`, and ends `out`. On failure `out` is destroyed with the error.
 */
export async function writeSnapshotDiff(snapshotter: OverlaySnapshotter, key: string, out: Writable, options: DiffOptions = {}): Promise<DiffResult> {
  return writeTar(out, options, 'computing the layer diff', async (tar, checkAbort) => {
    // A lazy snapshot is diffed only for a layer other than its own (an epoch-clamped one).
    await snapshotter.unpackChain(key, options.signal);
    const own = await snapshotter.contentDir(key);
    const xattrs = await readXattrTree(own.dir);
    if (own.parent === undefined) return (own.full ? walkingChanges : overlayChanges)({ dir: own.dir, xattrs, checkAbort }, tar);
    if (own.full) {
      return withParentView(snapshotter, own.parent, async (base) => walkingChanges({ dir: own.dir, xattrs, checkAbort, base: { dir: base, xattrs: await readXattrTree(base) } }, tar));
    }
    // The overlay differ asks the parent about single paths: its layers answer without a mount.
    const layers = LayerLookup.usable() ? await snapshotter.layerDirs(own.parent) : undefined;
    if (layers !== undefined) {
      const lookup = new LayerLookup(layers);
      const parentStat = async (path: string): Promise<BigIntStats | undefined> => {
        const found = await lookup.lookup(path);
        return typeof found === 'string' ? undefined : found.stats;
      };
      return overlayChanges({ dir: own.dir, xattrs, checkAbort, parentStat }, tar);
    }
    return withParentView(snapshotter, own.parent, (base) => overlayChanges({ dir: own.dir, xattrs, checkAbort, parentStat: (path) => statOrUndefined(join(base, path)) }, tar));
  });
}
