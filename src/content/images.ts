// The image metadata store, after containerd's image store: full image names mapped to the
// descriptor of their manifest or index. Layout:
//
//   <root>/metadata/images/<sha256 of name>.json    one record, the name inside
//
// The file name is a hash so that any name ('/', ':', '@', long names) is one safe file name.
// Every write replaces a whole file atomically (util/atomic-file.ts), so after a crash a record is
// the old version or the new one. Writers of one name in this process are queued so their
// read-modify-write (keeping createdAt) happens in call order; writers in different processes
// are not locked against each other: the last rename wins, per name.
//
// `get` keeps what it read, per file, with the file's identity (util/stat-cache.ts): a
// long-lived engine looks the same name up on every run, and a stat is all it takes to see
// that no process has tagged or removed it since.
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError, isKilnError } from '../util/errors.js';
import { removeStaleTempFiles, unlinkDurable, writeFileAtomic } from '../util/atomic-file.js';
import { StatCache } from '../util/stat-cache.js';
import { digestBytes, digestHex, parseDigest, type Digest } from './digest.js';
import {
  corruptRecord, imageUpdateProblem, invalidImage, parseImageRecord, type ImageRecord, type ImageUpdate,
} from './image-record.js';

export type { ImageRecord, ImageUpdate } from './image-record.js';

const recordFilePattern = /^[a-f0-9]{64}\.json$/;

/** The tail of each record file's queue of writes in this process, by path. */
const writeQueues = new Map<string, Promise<unknown>>();

export class ImageStore {
  private readonly dir: string;
  /** Records `get` read, by path, with the identity of the file they were read from. */
  private readonly known = new StatCache<ImageRecord>(1024);

  constructor(root: string) {
    this.dir = join(root, 'metadata', 'images');
  }

  /** The record for `name`, or undefined when there is none. Corrupt files throw INTERNAL. */
  async get(name: string): Promise<ImageRecord | undefined> {
    requireName(name);
    const record = await this.known.read(this.recordPath(name), (path) => this.readRecord(path, name));
    // Callers change what they get: the kept record is never handed out itself.
    return record === undefined ? undefined : structuredClone(record);
  }

  /**
   * All records that pass `filter`, sorted by name (code-unit order, stable across locales).
   * Temp files of writes in flight or left by a crash are ignored. A corrupt record file
   * fails the whole listing with an INTERNAL error naming the file rather than being skipped:
   * callers use the list as garbage-collection roots, and a silently missing root would let
   * GC delete a live image's blobs.
   */
  async list(filter: (record: ImageRecord) => boolean = () => true): Promise<ImageRecord[]> {
    const records: ImageRecord[] = [];
    for (const file of await this.recordFiles()) {
      const record = await this.readRecord(join(this.dir, file));
      if (record !== undefined && filter(record)) records.push(record);
    }
    return records.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Creates or replaces the record for `update.name`. A replacement keeps the original
   * createdAt and replaces everything else, labels included (omitted labels mean none).
   * A corrupt existing file is overwritten, as the update says everything the record holds.
   */
  async put(update: ImageUpdate): Promise<ImageRecord> {
    const problem = imageUpdateProblem(update);
    if (problem !== undefined) throw invalidImage(update.name, problem);
    const path = this.recordPath(update.name);
    return queued(path, async () => {
      const previous = await this.readRecord(path, update.name).catch(replaceCorrupt);
      const now = new Date().toISOString();
      const record: ImageRecord = {
        name: update.name,
        target: structuredClone(update.target),
        createdAt: previous?.createdAt ?? now,
        updatedAt: now,
      };
      if (update.labels !== undefined) record.labels = { ...update.labels };
      await mkdir(this.dir, { recursive: true });
      this.known.forget(path);
      await writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`);
      return record;
    });
  }

  /** Removes the record for `name`; NOT_FOUND when there is none. */
  async delete(name: string): Promise<void> {
    requireName(name);
    const path = this.recordPath(name);
    await queued(path, async () => {
      this.known.forget(path);
      if (!(await unlinkDurable(path))) {
        throw new KilnError('NOT_FOUND', `image ${JSON.stringify(name)} not found`);
      }
    });
  }

  /** The records whose target is `digest`: the names to untag for `rmi <id>`, and GC roots. */
  async byTarget(digest: Digest): Promise<ImageRecord[]> {
    const wanted = parseDigest(digest);
    return this.list((record) => record.target.digest === wanted);
  }

  /**
   * Removes temp files left by writers that were killed mid-write; temp files of live
   * writers are kept. The daemon calls it at startup. Returns how many were removed.
   */
  async cleanup(): Promise<number> {
    return (await removeStaleTempFiles(this.dir)).length;
  }

  private recordPath(name: string): string {
    return join(this.dir, `${digestHex(digestBytes(name))}.json`);
  }

  private async recordFiles(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((file) => recordFilePattern.test(file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /**
   * Reads and checks one record file; undefined when it does not exist (or was deleted
   * since the directory was read). The name inside must hash to the file name, or the file
   * was copied or renamed by hand and would shadow or hide another image.
   */
  private async readRecord(path: string, expectedName?: string): Promise<ImageRecord | undefined> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const record = parseImageRecord(text, path);
    if (this.recordPath(record.name) !== path || (expectedName !== undefined && record.name !== expectedName)) {
      throw corruptRecord(path, `it holds image ${JSON.stringify(record.name)}, whose record belongs in another file`);
    }
    return record;
  }
}

/** A corrupt record is about to be overwritten by a complete one; other read errors stand. */
function replaceCorrupt(err: unknown): undefined {
  if (isKilnError(err)) return undefined;
  throw err;
}

function requireName(name: string): void {
  if (typeof name !== 'string' || name === '') throw invalidImage(name, 'the image name must be a non-empty string');
}

/** Runs `task` after every earlier queued task for the same path has settled. */
async function queued<T>(path: string, task: () => Promise<T>): Promise<T> {
  const previous = writeQueues.get(path) ?? Promise.resolve();
  const result = previous.then(task);
  const tail = result.catch(() => undefined);
  writeQueues.set(path, tail);
  try {
    return await result;
  } finally {
    // Forget the queue once it is drained so the map does not grow with every name ever written.
    if (writeQueues.get(path) === tail) writeQueues.delete(path);
  }
}
