// Snapshot metadata: one `info.json` per snapshot directory, `<root>/snapshots/<id>/`.
// A snapshot directory is built complete under a temp name (`tmp-<pid>-<hex>`) and renamed
// into place, so after a crash every directory with a plain id is whole and the temp ones are
// leftovers that cleanup may remove once their writer is dead. Ids are short on purpose: the
// lowerdir option of an overlay mount lists one path per layer within one 4 KiB page.
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../content/index.js';
import type { Descriptor } from '../image/index.js';
import { processAlive } from '../util/process-alive.js';
import { writeFileAtomic, type AtomicWriteOptions } from '../util/atomic-file.js';
import { removeMostlyEmpty } from './remove-tree.js';

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
  /**
   * A committed snapshot made from a layer blob rather than on disk (lazy.ts): its `fs` dir
   * exists only once something mounted it.
   */
  lazy?: LazyLayer;
  /** An active snapshot mounted with overlayfs's `volatile` (OverlaySnapshotter.prepare). */
  volatile?: boolean;
}

/** The layer a lazy snapshot is made of: its blob and the diff ID of its uncompressed tar. */
export interface LazyLayer {
  layer: Descriptor;
  diffId: Digest;
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
/** One mkdir, made synchronously (see remove-tree.ts): making a snapshot is on a run's path. */
export function makeTempDir(dir: string): string {
  const path = join(dir, `${tempPrefix}${process.pid}-${randomBytes(6).toString('hex')}`);
  mkdirSync(path);
  return path;
}

export async function writeRecord(snapshotDir: string, record: SnapshotRecord, options: AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomic(join(snapshotDir, infoFileName), `${JSON.stringify(record)}\n`, options);
}

/**
 * The record of a snapshot being made in a temp dir, which is renamed into place whole: the
 * file needs no temp name and rename of its own. Durable (synced) unless `durable: false`.
 */
export async function writeNewRecord(tempDir: string, record: SnapshotRecord, options: AtomicWriteOptions = {}): Promise<void> {
  // Not synced, a few hundred bytes: written synchronously, as other small metadata is.
  if (options.durable === false) writeFileSync(join(tempDir, infoFileName), `${JSON.stringify(record)}\n`);
  else await writeRecord(tempDir, record);
}

/** A record is whole (renamed into place) or, after a power cut, torn: empty, cut short or missing. */
function parseRecord(text: string): SnapshotRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<SnapshotRecord> | null;
    return typeof value?.id === 'string' && typeof value.key === 'string' && typeof value.kind === 'string' ? (value as SnapshotRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** 'torn': a snapshot directory without a whole record; undefined: no snapshot directory at all. */
async function readRecord(dir: string, name: string): Promise<SnapshotRecord | 'torn' | undefined> {
  const text = await readFile(join(dir, name, infoFileName), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    if (err.code === 'ENOTDIR') return undefined;
    throw err;
  });
  if (text === undefined) return undefined;
  return parseRecord(text) ?? 'torn';
}

/**
 * The records, oldest first, and the names of the snapshot directories whose record is torn:
 * crash leftovers, as temp dirs are, which are no snapshots and go at the next cleanup.
 */
export async function scanRecords(dir: string): Promise<{ records: SnapshotRecord[]; torn: string[] }> {
  const names = (await readdir(dir)).filter((name) => !name.startsWith(tempPrefix));
  // Read side by side: one file per layer and container.
  const read = await Promise.all(names.map((name) => readRecord(dir, name)));
  const records = read.filter((r): r is SnapshotRecord => typeof r === 'object');
  const torn = names.filter((_, i) => read[i] === 'torn');
  return { records: records.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0)), torn };
}

export async function readRecords(dir: string): Promise<SnapshotRecord[]> {
  return (await scanRecords(dir)).records;
}

/** Makes a snapshot directory disappear at once, then deletes its content. */
export async function removeSnapshotDir(dir: string, id: string): Promise<void> {
  await deleteHidden(await hideSnapshotDir(dir, id));
}

/**
 * Renames a snapshot directory to a temp name: from then on it is gone for every reader, and
 * after a crash a leftover for cleanup. Returns the new path, for deleteHidden.
 */
export async function hideSnapshotDir(dir: string, id: string): Promise<string> {
  const doomed = join(dir, `${tempPrefix}${process.pid}-${randomBytes(6).toString('hex')}`);
  // One rename, made synchronously (see remove-tree.ts): a removal is on a run --rm's path.
  renameSync(join(dir, id), doomed);
  return doomed;
}

/** Deletes a hidden snapshot directory's content and the directory. */
export async function deleteHidden(doomed: string): Promise<void> {
  // A container's snapshot holds a few entries (its record, overlay's work/work, the mount
  // points runc made in the upper dir) unless the container wrote files; a copy's tree, or a
  // container's writes, take the async walk.
  await removeMostlyEmpty(doomed);
}

function isAlive(pid: number): boolean {
  return pid === process.pid || processAlive(pid);
}

/**
 * Removes snapshot directories whose record is torn (scanRecords). Records are renamed into
 * place whole, so only a power cut (records of active snapshots are not synced) leaves one,
 * and no process can be using such a snapshot after it.
 */
export async function removeTornSnapshots(dir: string, torn: string[]): Promise<void> {
  for (const name of torn) {
    await removeSnapshotDir(dir, name).catch((err: NodeJS.ErrnoException) => {
      // Another process's cleanup got there first.
      if (err.code !== 'ENOENT') throw err;
    });
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
