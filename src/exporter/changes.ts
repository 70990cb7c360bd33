// The changes of a snapshot over its parent, as a sorted walk that hands each change to the
// layer tar writer as it is found (nothing is collected first). Two sources:
//
// - overlay: the snapshot's upper dir read directly (BuildKit's overlay differ). Every node in
//   it is a change, except a directory that is only there because something below it changed:
//   one that the parent has too, with the same mode, owners and mtime (overlayfs restores a
//   parent's times after a copy-up) and no attributes, is left out. (Copy-up carries the
//   parent's attributes along, so a directory with any is written again: harmless, and cheaper
//   than reading the parent's to compare.) A 0/0 character
//   device is a removal; `trusted.overlay.opaque=y` makes a directory replace the parent's.
// - walk: the copy fallback's full tree compared with the parent's (containerd's walking
//   differ). A node is changed when its type, mode, owners, size, mtime (to the nanosecond),
//   device number, link target or attributes differ. Content is never compared. containerd
//   compares it when the mtime has no sub-second part, but every file unpacked from a tar has
//   none, so that would read both whole trees on each diff, on the path that already copies the
//   parent per snapshot. The copy keeps every mtime and any write through the snapshot's mount
//   moves it; what this misses is a write that restores both the size and a whole-second mtime.
//
// Within a directory, names go in byte order, and a directory's entry precedes its children,
// so equal trees always give equal tars.
import { lstat, readdir, readlink } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { isOverlayWhiteout, opaqueXattr } from '../snapshot/index.js';
import { KilnError } from '../util/errors.js';
import type { LayerTarWriter } from './layer-tar.js';
import { layerXattrs, sameXattrs, type XattrTree } from './xattr-tree.js';

export interface ChangeSource {
  /** The upper dir (overlay) or the snapshot's full tree (walk). */
  dir: string;
  xattrs: XattrTree;
  /** walk: the parent's merged tree (a mounted view), absent for a snapshot without a parent. */
  base?: { dir: string; xattrs: XattrTree };
  /**
   * overlay: what the parent's merged tree has at a path; undefined for nothing there, or for
   * what cannot be told (the directory is then written again, which is harmless).
   */
  parentStat?: (path: string) => Promise<BigIntStats | undefined>;
  checkAbort: () => void;
}

/** overlayfs features whose upper dirs do not hold what they show; the differ cannot read them. */
const unsupported = ['trusted.overlay.redirect', 'trusted.overlay.metacopy'];

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

async function sortedNames(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort(byteOrder);
}

export async function statOrUndefined(path: string): Promise<BigIntStats | undefined> {
  try {
    return await lstat(path, { bigint: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

function child(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

function sameMetadata(a: BigIntStats, b: BigIntStats): boolean {
  // The mode holds the type bits too, so a node that changed type differs here.
  return a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && a.mtimeNs === b.mtimeNs;
}

async function sameNode(source: ChangeSource, path: string, a: BigIntStats, b: BigIntStats): Promise<boolean> {
  if (!sameMetadata(a, b) || !sameXattrs(layerXattrs(source.xattrs, path), layerXattrs(source.base?.xattrs ?? new Map(), path))) return false;
  if (a.isDirectory()) return true;
  if (a.size !== b.size || a.rdev !== b.rdev) return false;
  if (!a.isSymbolicLink()) return true;
  return (await readlink(join(source.dir, path))) === (await readlink(join(source.base?.dir ?? '', path)));
}

async function emit(source: ChangeSource, tar: LayerTarWriter, path: string, stats: BigIntStats): Promise<void> {
  source.checkAbort();
  const from = join(source.dir, path);
  await tar.node({
    path, source: from, stats, xattrs: layerXattrs(source.xattrs, path),
    ...(stats.isSymbolicLink() ? { linkTarget: await readlink(from) } : {}),
  });
}

/** Writes the changes an overlay upper dir records, below `dir` (root-relative). */
export async function overlayChanges(source: ChangeSource, tar: LayerTarWriter, dir = '', opaqueAbove = false): Promise<void> {
  if (dir === '') {
    for (const [path, attrs] of source.xattrs) {
      const feature = unsupported.find((name) => attrs.has(name));
      if (feature !== undefined) {
        throw new KilnError('FAILED_PRECONDITION', `"${path}" in the snapshot's upper dir carries ${feature}, which the overlay differ cannot read`, {
          hint: 'mount overlayfs without redirect_dir and metacopy',
        });
      }
    }
  }
  for (const name of await sortedNames(join(source.dir, dir))) {
    const path = child(dir, name);
    const stats = await lstat(join(source.dir, path), { bigint: true });
    if (isOverlayWhiteout(stats)) {
      await tar.whiteout(path);
      continue;
    }
    if (!stats.isDirectory()) {
      await emit(source, tar, path, stats);
      continue;
    }
    const opaque = source.xattrs.get(path)?.get(opaqueXattr)?.toString() === 'y';
    const base = opaqueAbove || opaque || source.parentStat === undefined ? undefined : await source.parentStat(path);
    const unchanged = base?.isDirectory() === true && sameMetadata(stats, base) && layerXattrs(source.xattrs, path).length === 0;
    if (!unchanged) await emit(source, tar, path, stats);
    if (opaque) await tar.opaque(path);
    await overlayChanges(source, tar, path, opaqueAbove || opaque);
  }
}

/** Writes the differences between a full tree and its parent's, below `dir` (root-relative). */
export async function walkingChanges(source: ChangeSource, tar: LayerTarWriter, dir = '', baseHasDir = true): Promise<void> {
  const names = await sortedNames(join(source.dir, dir));
  const baseNames = source.base === undefined || !baseHasDir ? [] : await sortedNames(join(source.base.dir, dir));
  const current = new Set(names);
  const all = [...new Set([...names, ...baseNames])].sort(byteOrder);
  const previous = new Set(baseNames);
  for (const name of all) {
    const path = child(dir, name);
    if (!current.has(name)) {
      source.checkAbort();
      await tar.whiteout(path);
      continue;
    }
    const stats = await lstat(join(source.dir, path), { bigint: true });
    const base = previous.has(name) && source.base !== undefined ? await lstat(join(source.base.dir, path), { bigint: true }) : undefined;
    if (base === undefined || !(await sameNode(source, path, stats, base))) await emit(source, tar, path, stats);
    if (stats.isDirectory()) await walkingChanges(source, tar, path, base?.isDirectory() === true);
  }
}
