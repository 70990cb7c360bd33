// The persistent side of the cache (DESIGN.md "Cache keys": the cache survives restarts): one
// small record per cache key under `<root>/cache/records/<hex>.json`, naming the result by a
// reference the op layer understands (for LLB, a committed snapshot's key). The record is
// written atomically; a result whose data has gone (a pruned snapshot) decodes as missing and
// the step runs again. Each load stamps the record's last use, which GC ranks by.
//
// Records are not synced to disk: one lost to a power cut is a miss, and the step runs again
// (a torn one reads as none). Two disk flushes per step cost more than that rare rerun, and
// on a disk busy with other writers each flush can take tens of milliseconds.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { digestHex, parseDigest, type Digest } from '../content/index.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { StepRecords } from './step-records.js';
import type { CacheManager } from './types.js';

/** How stale a record's last-use stamp may be before a hit writes it again. */
const STAMP_INTERVAL_MS = 60_000;

export interface CacheRecord {
  key: Digest;
  /** The result, as the codec wrote it. */
  ref: string;
  createdAt: string;
  lastUsedAt: string;
}

/** How results become references and back; decode says undefined for a result that has gone. */
export interface ResultCodec<R> {
  encode(result: R): string;
  decode(ref: string): Promise<R | undefined>;
}

export function cacheRecordsDir(root: string): string {
  return join(root, 'cache', 'records');
}

/** Every record under `root`; a file that is not a whole record (torn, foreign) is named in `torn`. */
export async function listCacheRecords(root: string): Promise<{ records: CacheRecord[]; torn: string[] }> {
  const dir = cacheRecordsDir(root);
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  const records: CacheRecord[] = [];
  const torn: string[] = [];
  for (const name of names) {
    const hex = /^([0-9a-f]{64})\.json$/.exec(name)?.[1];
    // Temp files of atomic writes in flight are neither records nor torn.
    if (hex === undefined) continue;
    const record = await readRecord(join(dir, name), parseDigest(`sha256:${hex}`));
    if (record === undefined) torn.push(name);
    else records.push(record);
  }
  return { records, torn };
}

/**
 * Deletes records by file name (`<hex>.json`, as listed): a step whose record is gone runs
 * again. An unlink is atomic, so a crash leaves each record whole or gone.
 */
export async function deleteCacheRecords(root: string, names: Iterable<string>): Promise<void> {
  for (const name of names) await rm(join(cacheRecordsDir(root), name), { force: true });
}

export function cacheRecordFile(key: Digest): string {
  return `${digestHex(key)}.json`;
}

async function readRecord(path: string, key: Digest): Promise<CacheRecord | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const record = JSON.parse(text) as Partial<CacheRecord> | null;
    const whole = record?.key === key && typeof record.ref === 'string' && typeof record.createdAt === 'string' && typeof record.lastUsedAt === 'string';
    return whole ? (record as CacheRecord) : undefined;
  } catch {
    return undefined;
  }
}

export class RecordCacheManager<R> implements CacheManager<R> {
  private readonly dir: string;
  /** What each step's key was made of, beside the records (cache/explain/). */
  readonly steps: StepRecords;

  constructor(root: string, private readonly codec: ResultCodec<R>) {
    this.dir = cacheRecordsDir(root);
    this.steps = new StepRecords(root);
  }

  async load(key: Digest): Promise<R | undefined> {
    const record = await this.read(key);
    if (record === undefined) return undefined;
    const result = await this.codec.decode(record.ref);
    if (result === undefined) return undefined;
    // A stamp a minute old ranks as well as a fresh one, so a rebuild soon after does not
    // rewrite every record it hits.
    const now = Date.now();
    if (!(now - Date.parse(record.lastUsedAt) < STAMP_INTERVAL_MS)) await this.write({ ...record, lastUsedAt: new Date(now).toISOString() });
    return result;
  }

  async save(key: Digest, result: R): Promise<void> {
    const now = new Date().toISOString();
    await mkdir(this.dir, { recursive: true });
    await this.write({ key, ref: this.codec.encode(result), createdAt: now, lastUsedAt: now });
  }

  /** The record of `key`; a torn or foreign file reads as none (the step runs again). */
  async read(key: Digest): Promise<CacheRecord | undefined> {
    return readRecord(this.pathOf(key), key);
  }

  private pathOf(key: Digest): string {
    return join(this.dir, cacheRecordFile(key));
  }

  private write(record: CacheRecord): Promise<void> {
    return writeFileAtomic(this.pathOf(record.key), `${JSON.stringify(record)}\n`, { durable: false });
  }
}
