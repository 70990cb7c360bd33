// Snapshot metadata: one `info.json` per snapshot directory, `<root>/snapshots/<id>/`.
// A snapshot directory is built complete under a temp name (`tmp-<pid>-<hex>`) and renamed
// into place, so after a crash every directory with a plain id is whole and the temp ones are
// leftovers that cleanup may remove once their writer is dead. Ids are short on purpose: the
// lowerdir option of an overlay mount lists one path per layer within one 4 KiB page.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';
import { KilnError } from '../util/errors.js';

export type SnapshotKind = 'committed' | 'active' | 'view';

export interface SnapshotInfo {
  key: string;
  parent?: string;
  kind: SnapshotKind;
  createdAt: string;
}

export interface SnapshotRecord extends SnapshotInfo {
  id: string;
  /**
   * The fs dir holds the whole merged tree (made by the copy fallback), not a diff: a chain of
   * lowerdirs stops here, as nothing below it is visible.
   */
  full: boolean;
}

const tempPrefix = 'tmp-';
export const infoFileName = 'info.json';

export function infoOf(record: SnapshotRecord): SnapshotInfo {
  const { key, parent, kind, createdAt } = record;
  return parent === undefined ? { key, kind, createdAt } : { key, parent, kind, createdAt };
}

export function newId(): string {
  return randomBytes(6).toString('hex');
}

/** A fresh temp directory under `dir`, named so that cleanup can tell whether its writer lives. */
export async function makeTempDir(dir: string): Promise<string> {
  const path = join(dir, `${tempPrefix}${process.pid}-${randomBytes(6).toString('hex')}`);
  await mkdir(path);
  return path;
}

export async function writeRecord(snapshotDir: string, record: SnapshotRecord): Promise<void> {
  await writeFileAtomic(join(snapshotDir, infoFileName), `${JSON.stringify(record)}\n`);
}

async function readRecord(dir: string, name: string): Promise<SnapshotRecord | undefined> {
  const path = join(dir, name, infoFileName);
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
    throw err;
  });
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as SnapshotRecord;
  } catch (err) {
    throw new KilnError('INTERNAL', `snapshot metadata ${path} is corrupt`, { cause: err });
  }
}

export async function readRecords(dir: string): Promise<SnapshotRecord[]> {
  const names = (await readdir(dir)).filter((name) => !name.startsWith(tempPrefix));
  // Read side by side: every snapshot operation starts here, one file per layer and container.
  const records = (await Promise.all(names.map((name) => readRecord(dir, name)))).filter((r): r is SnapshotRecord => r !== undefined);
  return records.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
}

/** Makes a snapshot directory disappear at once, then deletes its content. */
export async function removeSnapshotDir(dir: string, id: string): Promise<void> {
  const doomed = join(dir, `${tempPrefix}${process.pid}-${randomBytes(6).toString('hex')}`);
  await rename(join(dir, id), doomed);
  await rm(doomed, { recursive: true, force: true });
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temp directories of dead writers: half-unpacked layers, half-made snapshots and
 * half-removed ones. This process's own are in use. Returns the names removed.
 */
export async function removeStaleTempDirs(dir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    const match = /^tmp-(\d+)-[0-9a-f]+$/.exec(name);
    if (match === null || isAlive(Number(match[1]))) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
