// An image's user database (/etc/passwd and /etc/group), which every run resolves its USER
// against. A run mounts nothing on the host (runc mounts the rootfs inside the container), so
// the files are read once per image through a short-lived read-only view of its layers and
// kept beside the top layer's snapshot: layers never change, so neither does the answer.
// A long-lived engine also keeps it in memory, by the kept file's path and identity: a stat
// instead of a read and a parse on every run.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readUserDatabase, type UserDatabase } from '../../executor/user.js';
import { mountAll, unmountAll } from '../../snapshot/mount.js';
import type { OverlaySnapshotter } from '../../snapshot/snapshotter.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { StatCache } from '../../util/stat-cache.js';

const databaseFile = 'user-database.json';
const remembered = new StatCache<UserDatabase>();
/** First reads in flight, by kept file: parallel steps on one image read it once. */
const reading = new Map<string, Promise<UserDatabase>>();

async function readKept(path: string): Promise<UserDatabase | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as UserDatabase;
  } catch {
    return undefined;
  }
}

/** Mounts a view of the chain, reads the two files and undoes everything again. */
async function readThroughView(snapshotter: OverlaySnapshotter, chainKey: string, scratch: string): Promise<UserDatabase> {
  // Unique: parallel steps may read the databases of different chains in the same millisecond.
  const key = `user-database-${process.pid}-${randomUUID()}`;
  const target = join(scratch, key);
  const mounts = await snapshotter.view(key, chainKey);
  try {
    // A one-layer image's view is its layer dir as it stands: nothing to mount.
    const [only] = mounts;
    if (mounts.length === 1 && only?.type === 'bind') return await readUserDatabase(only.source);
    await mkdir(target, { recursive: true });
    await mountAll(mounts, target);
    try {
      return await readUserDatabase(target);
    } finally {
      await unmountAll(target);
    }
  } finally {
    await rm(target, { recursive: true, force: true });
    await snapshotter.remove(key);
  }
}

/**
 * The user database of the image whose top layer is the committed snapshot `chainKey`.
 * `scratch` is a directory the view may be mounted under for the first read: the container's
 * rootfs directory, whose mounts are undone by every teardown and rm, even after a crash.
 */
export async function imageUserDatabase(snapshotter: OverlaySnapshotter, chainKey: string, scratch: string): Promise<UserDatabase> {
  const kept = await snapshotter.derivedFile(chainKey, databaseFile);
  const known = await remembered.read(kept, readKept);
  if (known !== undefined) return known;
  let first = reading.get(kept);
  if (first === undefined) {
    first = readThroughView(snapshotter, chainKey, scratch).then(async (database) => {
      // Derived, so not synced: lost to a power cut, it is read again.
      await writeFileAtomic(kept, JSON.stringify(database), { durable: false });
      return database;
    }).finally(() => reading.delete(kept));
    reading.set(kept, first);
  }
  return first;
}
