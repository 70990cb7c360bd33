// A committed snapshot's merged tree read straight from its layer dirs, without mounting it: a
// mount and its unmount cost two processes (mount(8), umount(8)), and the differ and a COPY
// from a stage mostly ask about one path or one subtree.
//
// A path resolves as overlayfs resolves it, layer by layer from the top, one component at a
// time (never following a symlink): the first layer holding the whole path gives it; a
// whiteout or a non-directory on the way hides it. What needs an attribute to decide (a
// directory on the way that may be opaque) is answered 'unknown', and the caller then mounts
// or assumes the less convenient answer. Nothing is answered for a kernel that may write
// redirects or metacopy files into upper dirs: those hold what they do not show.
import type { BigIntStats } from 'node:fs';
import { readFileSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { isOverlayWhiteout } from './overlay-whiteout.js';
import type { OverlaySnapshotter } from './snapshotter.js';

export type Lookup = { stats: BigIntStats; layer: number } | 'absent' | 'unknown';

/** Whether overlayfs, as this kernel's module defaults set it, keeps upper dirs plain. */
function plainUpperDirs(): boolean {
  const param = (name: string): string => {
    try {
      return readFileSync(`/sys/module/overlay/parameters/${name}`, 'utf8').trim();
    } catch {
      return 'unknown';
    }
  };
  return param('redirect_dir') === 'N' && param('metacopy') === 'N';
}

let plain: boolean | undefined;

export class LayerLookup {
  /** lstat results by layer and path (null: nothing there). */
  readonly #stats = new Map<string, BigIntStats | null>();

  /** `layers`: the snapshot's fs dirs, top first (OverlaySnapshotter.layerDirs). */
  constructor(readonly layers: readonly string[]) {}

  /** Whether the layers can be read on this kernel at all. */
  static usable(): boolean {
    plain ??= plainUpperDirs();
    return plain;
  }

  /** What the merged tree has at root-relative `path` ('' is never asked). */
  async lookup(path: string): Promise<Lookup> {
    const names = path.split('/');
    for (let layer = 0; layer < this.layers.length; layer++) {
      let prefix = '';
      for (const [at, name] of names.entries()) {
        prefix = prefix === '' ? name : `${prefix}/${name}`;
        const stats = await this.stat(layer, prefix);
        // A directory on the way that lacks the rest may be opaque and hide the layers below.
        if (stats === null) {
          if (at > 0) return 'unknown';
          break;
        }
        if (isOverlayWhiteout(stats)) return 'absent';
        if (at === names.length - 1) return { stats, layer };
        if (!stats.isDirectory()) return 'absent';
      }
    }
    return 'absent';
  }

  /**
   * The layer dir holding the whole tree at `path` (a directory or a file, not a link) when no
   * other layer adds to it; undefined when that cannot be told without a mount.
   */
  async soleLayer(path: string): Promise<string | undefined> {
    if (!LayerLookup.usable()) return undefined;
    const found = await this.lookup(path);
    if (typeof found === 'string' || !(found.stats.isDirectory() || found.stats.isFile())) return undefined;
    for (let layer = found.layer + 1; layer < this.layers.length; layer++) {
      if (await this.holds(layer, path)) return undefined;
    }
    return this.layers[found.layer];
  }

  /** Whether layer `layer` has anything at `path` (a whiteout too). */
  private async holds(layer: number, path: string): Promise<boolean> {
    let prefix = '';
    for (const name of path.split('/')) {
      prefix = prefix === '' ? name : `${prefix}/${name}`;
      const stats = await this.stat(layer, prefix);
      if (stats === null) return false;
      if (prefix === path) return true;
      if (!stats.isDirectory()) return false;
    }
    return false;
  }

  private async stat(layer: number, path: string): Promise<BigIntStats | null> {
    const key = `${layer}\0${path}`;
    let stats = this.#stats.get(key);
    if (stats === undefined) {
      stats = await lstat(join(this.layers[layer] as string, path), { bigint: true }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return null;
        throw err;
      });
      this.#stats.set(key, stats);
    }
    return stats;
  }
}

/**
 * The layer dir of committed snapshot `key` holding its whole tree at root-relative `path`, to
 * read that subtree in place; undefined when only a mount can show it.
 */
export async function soleLayerDir(snapshotter: OverlaySnapshotter, key: string, path: string): Promise<string | undefined> {
  if (path === '' || !LayerLookup.usable()) return undefined;
  const layers = await snapshotter.layerDirs(key);
  return layers === undefined ? undefined : new LayerLookup(layers).soleLayer(path);
}
