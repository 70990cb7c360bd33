// Copying a tree into a step's filesystem, as COPY does: directories, regular files (cloned where
// the filesystem can), symlinks as symlinks; modes and modification times kept; owners those of
// the source (a stage's files) or root (the build context's, as docker's COPY without
// --chown), unless an owner is given; an optional mode for everything copied (--chmod, octal or
// symbolic).
// Sources come either from a directory on disk or from the build context's index, which holds
// only what .dockerignore keeps.
import { constants, type Dirent } from 'node:fs';
import { chmod, copyFile, lchown, lstat, lutimes, mkdir, readdir, readlink, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { IndexView } from '../contenthash/index.js';
import { isOverlayWhiteout } from '../snapshot/index.js';
import { KilnError } from '../util/errors.js';
import { applySymbolicMode } from './symbolic-mode.js';

export interface CopyOwner {
  uid: number;
  gid: number;
}

export interface CopyOptions {
  /** Every copied entry's owner; undefined keeps the source's. */
  owner?: CopyOwner;
  /** Every copied entry's permission bits (--chmod). */
  mode?: number;
  /** A symbolic --chmod (`u+x,g-w`), applied to each entry's own mode. */
  symbolicMode?: string;
}

/** The mode a copied entry gets: --chmod's, or its source's. */
export function modeOf(entry: SourceEntry, options: CopyOptions): number {
  if (options.mode !== undefined) return options.mode;
  return options.symbolicMode === undefined ? entry.mode : applySymbolicMode(options.symbolicMode, entry.mode, entry.type === 'dir');
}

/** One entry to copy, however the source stores it. */
export interface SourceEntry {
  type: 'dir' | 'file' | 'symlink';
  mode: number;
  /** A file's size in bytes. */
  size: number;
  uid: number;
  gid: number;
  mtime: Date;
  linkname: string;
}

/** Where a tree is read from: a directory on disk, or the build context (its kept entries). */
export interface TreeSource {
  entry(path: string): Promise<SourceEntry>;
  children(path: string): Promise<string[]>;
  /** The file's bytes on disk, for copyFile. */
  file(path: string): string;
}

function kindOf(stats: { isDirectory(): boolean; isFile(): boolean; isSymbolicLink(): boolean }, path: string): SourceEntry['type'] {
  if (stats.isDirectory()) return 'dir';
  if (stats.isFile()) return 'file';
  if (stats.isSymbolicLink()) return 'symlink';
  throw new KilnError('NOT_IMPLEMENTED', `${path}: copying devices, sockets and fifos is not supported`);
}

/**
 * A tree on disk. `snapshot`: it is a snapshot's tree, in a mounted view or in the one layer
 * dir that holds all of what is read (snapshot/layer-lookup.ts); a whiteout a layer dir keeps
 * (a 0/0 character device, hiding nothing below) is then left out, as a mount shows it.
 */
export function directorySource(root: string, options: { snapshot?: boolean } = {}): TreeSource {
  const isWhiteout = async (dir: string, entry: Dirent): Promise<boolean> =>
    entry.isCharacterDevice() && isOverlayWhiteout(await lstat(join(root, dir, entry.name)));
  return {
    entry: async (path) => {
      const stats = await lstat(join(root, path));
      const type = kindOf(stats, path);
      const linkname = type === 'symlink' ? await readlink(join(root, path)) : '';
      return { type, mode: stats.mode & 0o7777, size: stats.size, uid: stats.uid, gid: stats.gid, mtime: stats.mtime, linkname };
    },
    children: async (path) => {
      if (options.snapshot !== true) return (await readdir(join(root, path))).sort();
      const entries = await readdir(join(root, path), { withFileTypes: true });
      const shown = await Promise.all(entries.map(async (entry) => ((await isWhiteout(path, entry)) ? [] : [entry.name])));
      return shown.flat().sort();
    },
    file: (path) => join(root, path),
  };
}

/** The build context: only what .dockerignore keeps, owned by root in the image. */
export function contextSource(contextDir: string, index: IndexView): TreeSource {
  const get = (path: string) => {
    const entry = index.get(path);
    if (entry === undefined) throw new KilnError('NOT_FOUND', `${path}: not found in the build context`);
    return entry;
  };
  return {
    entry: async (path) => {
      const { stats, type, linkname } = get(path);
      if (type !== 'dir' && type !== 'file' && type !== 'symlink') throw new KilnError('NOT_IMPLEMENTED', `${path}: copying ${type}s is not supported`);
      return { type, mode: Number(stats.mode) & 0o7777, size: Number(stats.size), uid: 0, gid: 0, mtime: new Date(Number(stats.mtimeMs)), linkname };
    },
    children: async (path) => get(path).children,
    file: (path) => join(contextDir, path),
  };
}

/** Files copied at once: enough to keep the thread pool and the disk busy on small files. */
export const PARALLEL_FILES = 32;

/** What copyTree found to do: directories in walk order, files and links in any order. */
interface CopyPlan {
  dirs: Array<{ entry: SourceEntry; dest: string }>;
  leaves: Array<{ entry: SourceEntry; path: string; dest: string }>;
}

async function planCopy(source: TreeSource, path: string, dest: string, plan: CopyPlan): Promise<void> {
  const entry = await source.entry(path);
  if (entry.type !== 'dir') {
    plan.leaves.push({ entry, path, dest });
    return;
  }
  plan.dirs.push({ entry, dest });
  for (const name of await source.children(path)) await planCopy(source, path === '' ? name : `${path}/${name}`, join(dest, name), plan);
}

/** Owner, then mode when given (a chown clears setuid and setgid bits), then times. */
export async function setOwnerModeTime(dest: string, owner: CopyOwner, mode: number | undefined, mtime: Date): Promise<void> {
  await lchown(dest, owner.uid, owner.gid);
  if (mode !== undefined) await chmod(dest, mode);
  await lutimes(dest, mtime, mtime);
}

async function applyMetadata(dest: string, entry: SourceEntry, options: CopyOptions, modeSet: boolean): Promise<void> {
  const mode = modeOf(entry, options);
  // A copied file has its source's mode already; only setuid/setgid bits need setting again.
  const given = options.mode !== undefined || options.symbolicMode !== undefined;
  const setMode = entry.type !== 'symlink' && (given || !modeSet || (mode & 0o6000) !== 0);
  await setOwnerModeTime(dest, options.owner ?? { uid: entry.uid, gid: entry.gid }, setMode ? mode : undefined, entry.mtime);
}

/** A file copied from `source` or a link to `linkTarget` at `dest`, replacing what is there as COPY overwrites (never writing through a link). */
export async function createLeaf(dest: string, leaf: { source: string } | { linkTarget: string }): Promise<void> {
  const create = (): Promise<void> => 'source' in leaf
    ? copyFile(leaf.source, dest, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL)
    : symlink(leaf.linkTarget, dest);
  try {
    await create();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    await rm(dest, { force: true, recursive: false });
    await create();
  }
}

async function copyLeaf(source: TreeSource, path: string, entry: SourceEntry, dest: string, options: CopyOptions): Promise<void> {
  await createLeaf(dest, entry.type === 'file' ? { source: source.file(path) } : { linkTarget: entry.linkname });
  // copyFile gives the copy the source's mode already.
  await applyMetadata(dest, entry, options, entry.type === 'file');
}

/**
 * Copies `path` of `source` to `dest` (which must not be a directory the entry replaces).
 * Directories are made first, files and links then copied many at once, and directory
 * metadata set last: making their entries would change their times again.
 */
export async function copyTree(source: TreeSource, path: string, dest: string, options: CopyOptions): Promise<void> {
  const plan: CopyPlan = { dirs: [], leaves: [] };
  await planCopy(source, path, dest, plan);
  for (const { dest: dir } of plan.dirs) await mkdir(dir, { recursive: true });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < plan.leaves.length) {
      const leaf = plan.leaves[next++] as CopyPlan['leaves'][number];
      await copyLeaf(source, leaf.path, leaf.entry, leaf.dest, options);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_FILES, plan.leaves.length) }, worker));
  for (const { entry, dest: dir } of plan.dirs.reverse()) await applyMetadata(dir, entry, options, false);
}
