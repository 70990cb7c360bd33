// `rm -rf` for the small, shallow trees a container run leaves: a snapshot's fs and work dirs,
// a container's directory, a bundle. fs.rm's recursive walk checks each entry with lstat and
// tries rmdir before it lists a directory, one step after another; here a directory is listed
// once, with the entry types, and its entries go side by side: about half the round trips on
// the path a `run --rm` waits for. Like rm -rf, it does not follow symlinks, and it descends
// into whatever is mounted below: callers unmount first.
import type { Dirent } from 'node:fs';
import { readdir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';

function ignoreMissing(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
}

/** Removes `path` and everything below it; a missing path is fine. */
export async function removeTree(path: string): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return unlink(path).catch(ignoreMissing);
    return ignoreMissing(err);
  }
  await Promise.all(entries.map((entry) => {
    const child = join(path, entry.name);
    return entry.isDirectory() ? removeTree(child) : unlink(child).catch(ignoreMissing);
  }));
  await rmdir(path).catch(ignoreMissing);
}

/**
 * removeTree for a directory that is usually empty (an unused upper dir, overlay's work dir, an
 * emptied container dir): one rmdir then, the whole walk only when something is inside.
 */
export async function removeMostlyEmpty(path: string): Promise<void> {
  try {
    await rmdir(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR') throw err;
    await removeTree(path);
  }
}
