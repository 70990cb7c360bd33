// A planned COPY layer (copy-layer.ts) written as files into a snapshot's own dir, without a
// mount: for a copy that a RUN mounts next, this costs the file operations of a copy on disk
// without its mount(8) and umount(8), where a layer blob would cost compressing, syncing and
// unpacking it again before the RUN can start. The image's layer is then made from the dir
// as any step's is, while the build goes on.
//
// The dir holds exactly the layer's entries, as an overlay upper dir would after the copy:
// parents the base has are written with the base's attributes, and overlayfs merges them with
// the base's own.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DescribedEntry } from '../exporter/index.js';
import { createLeaf, PARALLEL_FILES, setOwnerModeTime } from './copy-tree.js';

/** The entry's owner, mode (a link has none of its own) and time, on `path`. */
function setAttributes(path: string, entry: DescribedEntry): Promise<void> {
  return setOwnerModeTime(path, entry, entry.type === 'symlink' ? undefined : entry.mode, new Date(entry.mtimeMs));
}

async function writeLeaf(root: string, entry: DescribedEntry): Promise<void> {
  const path = join(root, entry.path);
  // Over the copy driver the dir starts as the parent's whole tree, which the copy replaces.
  await createLeaf(path, entry.type === 'symlink' ? { linkTarget: entry.linkTarget ?? '' } : { source: entry.source ?? '' });
  await setAttributes(path, entry);
}

/**
 * Writes `entries` (in the differ's order: a directory before its children) under `root`.
 * Directories get their attributes last, deepest first, as writing into them moves their times.
 */
export async function writeEntries(root: string, entries: readonly DescribedEntry[]): Promise<void> {
  const dirs = entries.filter((entry) => entry.type === 'directory');
  for (const dir of dirs) await mkdir(join(root, dir.path), { recursive: true });
  const leaves = entries.filter((entry) => entry.type !== 'directory');
  for (let at = 0; at < leaves.length; at += PARALLEL_FILES) {
    await Promise.all(leaves.slice(at, at + PARALLEL_FILES).map((leaf) => writeLeaf(root, leaf)));
  }
  for (const dir of dirs.reverse()) await setAttributes(join(root, dir.path), dir);
}
