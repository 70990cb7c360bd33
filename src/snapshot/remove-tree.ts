// `rm -rf` for the small, shallow trees a container run leaves: a snapshot's fs and work dirs,
// a container's directory, a bundle. fs.rm's recursive walk checks each entry with lstat and
// tries rmdir before it lists a directory, one step after another; here a directory is listed
// once, with the entry types, and its entries go side by side: about half the round trips on
// the path a `run --rm` waits for. Like rm -rf, it does not follow symlinks, and it descends
// into whatever is mounted below: callers unmount first.
//
// A tree of a few entries (an empty directory, a bundle, a container's few files) goes with
// synchronous calls: each is a metadata syscall of microseconds, where an async call costs a
// thread-pool round trip of a hundred or more; a bigger one (an upper dir the container wrote
// into) is walked asynchronously, so the event loop never waits on it.
import { readdirSync, rmdirSync, unlinkSync, type Dirent } from 'node:fs';
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

/** Entries removed synchronously before a tree counts as big. */
const smallTreeEntries = 64;

/**
 * removeTree for a directory that is usually empty or nearly (an upper dir that holds only the
 * mount points runc made, overlay's work dir, an emptied container dir): one rmdir, or a
 * synchronous walk of a few entries; the async walk only for a tree bigger than that.
 */
export async function removeMostlyEmpty(path: string): Promise<void> {
  try {
    rmdirSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR') throw err;
    if (!removeWithin(path, { left: smallTreeEntries })) await removeTree(path);
  }
}

/**
 * Removes `path` synchronously unless the tree has more than `budget.left` entries: then it
 * stops (part of the tree may be gone) and says false, for the async walk to finish.
 */
function removeWithin(path: string, budget: { left: number }): boolean {
  let entries: Dirent[];
  try {
    entries = readdirSync(path, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR') ignoreMissing(err);
    else unlinkIfThere(path);
    return true;
  }
  budget.left -= entries.length;
  if (budget.left < 0) return false;
  for (const entry of entries) {
    const child = join(path, entry.name);
    if (!entry.isDirectory()) unlinkIfThere(child);
    else if (!removeWithin(child, budget)) return false;
  }
  try {
    rmdirSync(path);
  } catch (err) {
    ignoreMissing(err);
  }
  return true;
}

/** unlink, where a missing file is fine. */
export function unlinkIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    ignoreMissing(err);
  }
}
