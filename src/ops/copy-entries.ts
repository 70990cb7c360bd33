// A planned COPY layer (copy-layer.ts) written as files into a snapshot's own dir, without a
// mount: for a small copy that a RUN mounts next, this costs a few file operations, where a
// copy on disk costs mount(8) and umount(8), and a layer blob costs compressing, syncing and
// unpacking it again before the RUN can start. The image's layer is then made from the dir
// as any step's is, while the build goes on.
//
// The dir holds exactly the layer's entries, as an overlay upper dir would after the copy:
// parents the base has are written with the base's attributes, and overlayfs merges them with
// the base's own.
import { constants } from 'node:fs';
import { chmod, copyFile, lchown, lutimes, mkdir, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { DescribedEntry } from '../exporter/index.js';

/** Files copied at once: enough to keep the thread pool busy. */
const PARALLEL_FILES = 16;

async function setAttributes(path: string, entry: DescribedEntry): Promise<void> {
  await lchown(path, entry.uid, entry.gid);
  // A chown clears setuid and setgid, so the mode comes after it; a link has none of its own.
  if (entry.type !== 'symlink') await chmod(path, entry.mode);
  const time = new Date(entry.mtimeMs);
  await lutimes(path, time, time);
}

async function writeLeaf(root: string, entry: DescribedEntry): Promise<void> {
  const path = join(root, entry.path);
  const create = (): Promise<void> => entry.type === 'symlink'
    ? symlink(entry.linkTarget ?? '', path)
    : copyFile(entry.source ?? '', path, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL);
  // Over the copy driver the dir starts as the parent's whole tree, which the copy replaces.
  await create().catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
    await rm(path, { force: true });
    await create();
  });
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
