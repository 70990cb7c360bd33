// OCI whiteouts (image-spec layer.md): `.wh.<name>` deletes `<name>` from the lower layers,
// `.wh..wh..opq` hides everything the lower layers put in its directory. Neither marker is
// itself created in the target.
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../util/errors.js';

export const whiteoutPrefix = '.wh.';
export const opaqueMarker = '.wh..wh..opq';

export type Whiteout = { kind: 'opaque' } | { kind: 'remove'; name: string };

/** Classifies an entry's base name; undefined when it is not a whiteout. */
export function parseWhiteout(base: string, entry: string): Whiteout | undefined {
  if (base === opaqueMarker) return { kind: 'opaque' };
  if (!base.startsWith(whiteoutPrefix)) return undefined;
  const name = base.slice(whiteoutPrefix.length);
  // `.wh..` would delete the parent directory and `.wh.` the directory itself: neither
  // names an entry of the directory, so both are refused rather than guessed at.
  if (name === '' || name === '.' || name === '..') {
    throw new KilnError('INVALID_ARGUMENT', `layer entry "${entry}" is an invalid whiteout`, {
      hint: 'a whiteout must name an entry of its own directory',
    });
  }
  return { kind: 'remove', name };
}

/**
 * Paths this layer has written (root-relative, `/`-joined) together with all their
 * ancestors: an opaque marker must keep them even when they precede it in the tar.
 */
export class LayerPaths {
  private readonly written = new Set<string>();

  add(components: string[]): void {
    for (let i = 1; i <= components.length; i += 1) this.written.add(components.slice(0, i).join('/'));
  }

  has(components: string[]): boolean {
    return this.written.has(components.join('/'));
  }
}

/**
 * Removes from `dir` (resolved, root-relative) everything the lower layers put there.
 * A child this layer wrote survives; if it is a directory, its own lower-layer content is
 * still hidden, because the opaque directory hides the whole lower subtree.
 */
export async function applyOpaque(root: string, dir: string[], written: LayerPaths): Promise<void> {
  let names: string[];
  try {
    names = await readdir(join(root, ...dir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const name of names) {
    const child = [...dir, name];
    const path = join(root, ...child);
    if (!written.has(child)) {
      await rm(path, { recursive: true, force: true });
    } else if ((await lstat(path)).isDirectory()) {
      await applyOpaque(root, child, written);
    }
  }
}
