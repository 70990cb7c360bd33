// An ingest is one in-flight write: `ingest/<sha256 of ref>/{lock,data}`. The ref is hashed
// so that any caller-chosen string (registry refs contain '/' and ':') becomes one safe
// directory name. The lock file is created exclusively and holds the writer's pid, so a
// second writer for the same ref fails fast and a crashed writer's leftovers can be told
// apart from a live one.
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../util/errors.js';
import { processAlive } from '../util/process-alive.js';
import { digestBytes, digestHex } from './digest.js';

/** Ingest directories held by writers of this process (absolute paths). */
const heldIngests = new Set<string>();

export interface IngestPaths {
  dir: string;
  lock: string;
  data: string;
}

export function ingestPaths(ingestRoot: string, ref: string): IngestPaths {
  const dir = join(ingestRoot, digestHex(digestBytes(ref)));
  return { dir, lock: join(dir, 'lock'), data: join(dir, 'data') };
}

/**
 * Claims the ingest for `ref`. The in-process set catches a second writer of this process
 * before it touches the disk; the exclusive lock file catches one in another process.
 */
export async function acquireIngest(paths: IngestPaths, ref: string): Promise<void> {
  if (heldIngests.has(paths.dir)) throw refLocked(ref);
  heldIngests.add(paths.dir);
  try {
    await mkdir(paths.dir, { recursive: true });
    await writeFile(paths.lock, String(process.pid), { flag: 'wx' });
  } catch (err) {
    heldIngests.delete(paths.dir);
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw refLocked(ref);
    throw err;
  }
}

/** Removes the ingest (data and lock) and gives the ref back. Safe to call twice. */
export async function releaseIngest(paths: IngestPaths): Promise<void> {
  try {
    await rm(paths.dir, { recursive: true, force: true });
  } finally {
    heldIngests.delete(paths.dir);
  }
}

/**
 * Removes ingests whose writer is gone (killed, crashed, or the machine rebooted): no lock,
 * an unreadable lock, or a lock naming a process that no longer exists. Ingests held by live
 * writers, in this process or another, are kept. Returns the removed directories.
 */
export async function removeStaleIngests(ingestRoot: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdirOrEmpty(ingestRoot)) {
    const dir = join(ingestRoot, name);
    if (await isLive(dir)) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

async function isLive(dir: string): Promise<boolean> {
  if (heldIngests.has(dir)) return true;
  const pid = Number.parseInt(await readFile(join(dir, 'lock'), 'utf8').catch(() => ''), 10);
  // Our own pid in a lock we do not hold comes from an earlier run that had the same pid,
  // as happens to a daemon running as pid 1 in a container.
  if (pid === process.pid) return false;
  return processAlive(pid);
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

function refLocked(ref: string): KilnError {
  return new KilnError('CONFLICT', `ref ${JSON.stringify(ref)} is already being written by another writer`, {
    hint: 'wait for the other writer to commit or abort; if none is running, restart the daemon to clean up ingests left by a crash',
  });
}
