// A snapshot's whole filesystem as one tar (BuildKit's `tar` and `local` exporters): the merged
// tree of the snapshot and everything below it, read through a read-only view, so a
// multi-layer result comes out as the container on it would see it. The walk is the walking
// differ's with nothing to compare against, so every node is written once, in byte order,
// with its owners, mode and attributes, and equal trees give equal tars.
import type { Writable } from 'node:stream';
import type { OverlaySnapshotter } from '../snapshot/index.js';
import { walkingChanges } from './changes.js';
import { withParentView, writeTar, type DiffOptions, type DiffResult } from './diff.js';
import { readXattrTree } from './xattr-tree.js';

/**
 * Writes the filesystem of snapshot `key` (committed; undefined for an empty result such as
 * `FROM scratch` alone) as a tar into `out`, and ends `out`. With `sourceDateEpoch`, mtimes
 * later than it are written as it. On failure `out` is destroyed with the error.
 */
export async function writeSnapshotFilesystem(snapshotter: OverlaySnapshotter, key: string | undefined, out: Writable, options: DiffOptions = {}): Promise<DiffResult> {
  return writeTar(out, options, 'writing the filesystem tar', async (tar, checkAbort) => {
    if (key !== undefined) {
      await withParentView(snapshotter, key, async (dir) => walkingChanges({ dir, xattrs: await readXattrTree(dir), checkAbort }, tar));
    }
  });
}

/**
 * A directory's tree as a tar into `out` (a cache mount's, for a cache export), written as the
 * snapshot walk writes one: every node once, in byte order, so an unchanged tree gives equal
 * bytes and an export uploads it only once.
 */
export async function writeDirectoryTar(dir: string, out: Writable, options: DiffOptions = {}): Promise<DiffResult> {
  return writeTar(out, options, 'writing the directory tar', async (tar, checkAbort) => walkingChanges({ dir, xattrs: await readXattrTree(dir), checkAbort }, tar));
}
