// runc makes a mount point for every mount of a step that the root filesystem lacks (an empty
// file for a file bind such as a secret, directories for the rest, and their missing parents).
// Left in the snapshot they would show up in the layer, so, as BuildKit's MountStubsCleaner,
// the paths that did not exist before the step are removed after it when they are still empty
// stubs. The check reads the overlay's layers directly: the merged view exists only inside the
// step's mount namespace.
import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { isOverlayWhiteout, type Mount } from '../snapshot/index.js';

type Presence = 'missing' | 'present' | 'unsure';

/** What a path is in one layer; a symlink on the way makes it unsure (never followed). */
async function lookup(layer: string, parts: readonly string[]): Promise<Presence> {
  let at = layer;
  for (const [i, part] of parts.entries()) {
    at = join(at, part);
    const stats = await lstat(at).catch(() => undefined);
    if (stats === undefined) return 'missing';
    // A whiteout (0/0 char device) hides the path: it is missing in the merged view.
    if (isOverlayWhiteout(stats)) return 'missing';
    if (i < parts.length - 1 && !stats.isDirectory()) return stats.isSymbolicLink() ? 'unsure' : 'missing';
  }
  return 'present';
}

/** The upper directory first, then the lower ones, as the overlay stacks them; one dir for a bind. */
function layersOf(root: Mount): { upper: string; layers: string[] } | undefined {
  if (root.type === 'bind') return { upper: root.source, layers: [root.source] };
  const option = (key: string): string | undefined => root.options.find((o) => o.startsWith(`${key}=`))?.slice(key.length + 1);
  const upper = option('upperdir');
  if (upper === undefined) return undefined;
  return { upper, layers: [upper, ...(option('lowerdir')?.split(':') ?? [])] };
}

async function presence(layers: readonly string[], parts: readonly string[]): Promise<Presence> {
  for (const layer of layers) {
    const found = await lookup(layer, parts);
    if (found !== 'missing') return found;
  }
  return 'missing';
}

/**
 * Records which mount destinations (and their parents) the root lacks; the returned function
 * removes those that are empty stubs after the step.
 */
export async function mountStubsCleaner(root: Mount, destinations: readonly string[]): Promise<() => Promise<void>> {
  const stack = layersOf(root);
  if (stack === undefined) return async () => undefined;
  const stubs = new Set<string>();
  for (const dest of destinations) {
    let parts = posix.resolve('/', dest).split('/').filter((p) => p !== '');
    while (parts.length > 0 && (await presence(stack.layers, parts)) === 'missing') {
      stubs.add(parts.join('/'));
      parts = parts.slice(0, -1);
    }
  }
  // Deepest first, so a parent is empty by the time it is looked at.
  const ordered = [...stubs].sort((a, b) => b.split('/').length - a.split('/').length);
  return async () => {
    for (const path of ordered) {
      if ((await lookup(stack.upper, path.split('/'))) !== 'present') continue;
      const full = join(stack.upper, path);
      const stats = await lstat(full);
      if (stats.isDirectory()) {
        if ((await readdir(full)).length === 0) await rmdir(full);
      } else if (stats.isFile() && stats.size === 0) await unlink(full);
    }
  };
}
