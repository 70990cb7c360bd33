// Whole-file replacement that survives kill -9 and power cuts: the new bytes go to a temp file
// in the same directory, are fsynced, renamed over the target (rename(2) is atomic within a
// file system) and the directory is fsynced so the new entry itself is durable. A reader
// therefore sees the old file or the new one, never a mix. Temp files carry the writer's pid
// so that leftovers of a dead writer can be told apart from a write in flight elsewhere.
import { randomBytes } from 'node:crypto';
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { processAlive } from './process-alive.js';

/** Temp files of writes in flight in this process (absolute paths). */
const inFlight = new Set<string>();

const tempPattern = /^\.(.+)\.(\d+)\.[a-f0-9]{16}\.tmp$/;

export interface AtomicWriteOptions {
  /**
   * false: atomic, but not synced to disk. Survives kill -9 (the page cache outlives the
   * process), not a power cut; for records whose loss there costs nothing but a stale state.
   */
  durable?: boolean;
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const durable = options.durable ?? true;
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(8).toString('hex')}.tmp`);
  if (!durable) return writeSmallFileAtomic(temp, path, data);
  inFlight.add(temp);
  try {
    const file = await open(temp, 'wx');
    try {
      await file.writeFile(data);
      if (durable) await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  } finally {
    inFlight.delete(temp);
  }
  if (durable) await syncDirectory(dirname(path));
}

/**
 * A record of a few hundred bytes with nothing to sync: three syscalls of microseconds each,
 * made synchronously, where the async calls would cost a thread-pool round trip apiece (a
 * container's state changes are on the path a `kiln run` waits for). Nothing else runs in
 * between, so the temp file is never seen in flight.
 */
function writeSmallFileAtomic(temp: string, path: string, data: string | Uint8Array): void {
  try {
    writeFileSync(temp, data, { flag: 'wx' });
    renameSync(temp, path);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      // never created, or already renamed
    }
    throw err;
  }
}

/** Removes a file durably; returns false when it did not exist. */
export async function unlinkDurable(path: string): Promise<boolean> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  await syncDirectory(dirname(path));
  return true;
}

export function isTempFileName(name: string): boolean {
  return tempPattern.test(name);
}

/**
 * Removes the temp files in `dir` left by writers that died. Temp files of live writers
 * (this process's writes in flight, or another live process's) are kept, because removing
 * one would make that writer's rename fail. Returns the removed file names.
 */
export async function removeStaleTempFiles(dir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(dir).catch(emptyIfMissing)) {
    const match = tempPattern.exec(name);
    if (match === null) continue;
    const path = join(dir, name);
    if (isLive(path, Number(match[2]))) continue;
    await unlink(path).catch(ignoreMissing);
    removed.push(name);
  }
  return removed;
}

function isLive(path: string, pid: number): boolean {
  if (inFlight.has(path)) return true;
  // Our own pid on a file we are not writing comes from an earlier run that had the same pid
  // (a daemon running as pid 1 in a container).
  return pid !== process.pid && processAlive(pid);
}

/** Makes a rename or unlink durable: without this a power cut can forget the directory change. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function emptyIfMissing(err: unknown): string[] {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
  throw err;
}

function ignoreMissing(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
}
