// The container store: one directory per container under `<root>/containers/<id>/` holding
// container.json (written atomically, so a reader sees the old record or the new one), and
// the container's own files (rootfs mount point, bundle, /etc files).
//
// Names are reserved by exclusive creation of `<root>/container-names/<name>`, a symlink whose
// target is the id: two `kiln run --name x` in separate processes cannot both win, with no lock
// to leave behind. A symlink is made and read in one call each, where a file holding the id
// takes three to write and four to read; reservations written as such files by earlier
// versions are still read. A reservation whose container directory is gone (a crash between
// the two) is stale and taken over.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readlinkSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
import { readdir, readFile, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { removeStaleTempDirs } from '../../snapshot/metadata.js';
import { removeMostlyEmpty, removeTree, unlinkIfThere } from '../../snapshot/remove-tree.js';
import { writeFileAtomic, type AtomicWriteOptions } from '../../util/atomic-file.js';
import { KilnError } from '../../util/errors.js';
import { generateName } from './names.js';
import type { ContainerRecord } from './record.js';

const idPattern = /^[a-f0-9]{64}$/;
const nameAttempts = 10;

function isCode(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException).code === code;
}

/** The id a name reservation holds; '' when there is none. A readlink: made synchronously (see remove-tree.ts). */
function ownerOf(path: string): string {
  try {
    return readlinkSync(path);
  } catch (err) {
    // EINVAL: not a symlink, a file holding the id.
    if (!isCode(err, 'EINVAL')) return '';
    try {
      return readFileSync(path, 'utf8').trim();
    } catch {
      return '';
    }
  }
}

export class ContainerStore {
  readonly dir: string;
  private readonly namesDir: string;

  constructor(root: string) {
    this.dir = join(root, 'containers');
    this.namesDir = join(root, 'container-names');
  }

  newId(): string {
    return randomBytes(32).toString('hex');
  }

  containerDir(id: string): string {
    return join(this.dir, id);
  }

  rootfsDir(id: string): string {
    return join(this.dir, id, 'rootfs');
  }

  /**
   * Creates the container's directory, reserves its name (given or generated) and writes the
   * record: synced to disk unless `durable: false` (a --rm container, which a power cut would
   * end anyway; a torn record then reads as no record, like a crash before it was written).
   */
  async create(record: Omit<ContainerRecord, 'name'>, name: string | undefined, options: AtomicWriteOptions = {}): Promise<ContainerRecord> {
    this.makeContainerDir(record.id);
    try {
      let reserved = name;
      if (reserved === undefined) reserved = await this.reserveGenerated(record.id);
      else await this.reserve(reserved, record.id);
      const full: ContainerRecord = { ...record, name: reserved };
      await this.write(full, options);
      return full;
    } catch (err) {
      await rm(this.containerDir(record.id), { recursive: true, force: true });
      throw err;
    }
  }

  /**
   * The parent exists but for the first container of a root: one mkdir, not a recursive one,
   * made synchronously as the other metadata syscalls of a run (see snapshot/remove-tree.ts).
   */
  private makeContainerDir(id: string): void {
    try {
      mkdirSync(this.containerDir(id));
    } catch (err) {
      if (!isCode(err, 'ENOENT')) throw err;
      mkdirSync(this.containerDir(id), { recursive: true });
    }
  }

  private async reserveGenerated(id: string): Promise<string> {
    for (let attempt = 0; attempt < nameAttempts; attempt++) {
      const name = generateName(attempt);
      try {
        await this.reserve(name, id);
        return name;
      } catch (err) {
        if (!(err instanceof KilnError && err.code === 'CONFLICT')) throw err;
      }
    }
    throw new KilnError('INTERNAL', `no free container name found in ${nameAttempts} attempts`, { hint: 'pass --name' });
  }

  private async reserve(name: string, id: string): Promise<void> {
    const path = join(this.namesDir, name);
    for (;;) {
      try {
        symlinkSync(id, path);
        return;
      } catch (err) {
        if (isCode(err, 'ENOENT')) {
          mkdirSync(this.namesDir, { recursive: true });
          continue;
        }
        if (!isCode(err, 'EEXIST')) throw err;
      }
      const owner = ownerOf(path);
      const ownerAlive = owner !== '' && (await stat(this.containerDir(owner)).then(() => true, () => false));
      if (ownerAlive) {
        throw new KilnError('CONFLICT',
          `Conflict. The container name "/${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`,
          { details: { flag: '--name' } });
      }
      await unlink(path).catch((err: unknown) => {
        if (!isCode(err, 'ENOENT')) throw err;
      });
    }
  }

  /**
   * Replaces the record atomically. State changes pass `durable: false`: a power cut may then
   * leave an earlier state, which reconcile.ts corrects like any lost run, and each run saves
   * two disk flushes.
   */
  async write(record: ContainerRecord, options: AtomicWriteOptions = {}): Promise<void> {
    await writeFileAtomic(join(this.containerDir(record.id), 'container.json'), `${JSON.stringify(record, null, 2)}\n`, options);
  }

  /**
   * The record, or undefined when there is none. A torn one (empty or cut short: records of
   * runs are not synced, and a power cut can leave one so) is a crash leftover, read as none,
   * so that `ps` and reconcile go on with the others.
   */
  async get(id: string): Promise<ContainerRecord | undefined> {
    let text: string;
    try {
      text = await readFile(join(this.containerDir(id), 'container.json'), 'utf8');
    } catch (err) {
      if (isCode(err, 'ENOENT')) return undefined;
      throw err;
    }
    try {
      const record = JSON.parse(text) as Partial<ContainerRecord> | null;
      return typeof record?.id === 'string' && typeof record.state === 'object' ? (record as ContainerRecord) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Every recorded container; directories without a record (being created or removed) are skipped. */
  async list(): Promise<ContainerRecord[]> {
    const ids = await readdir(this.dir).catch((err: unknown) => {
      if (isCode(err, 'ENOENT')) return [];
      throw err;
    });
    const records = await Promise.all(ids.filter((id) => idPattern.test(id)).map((id) => this.get(id)));
    return records.filter((r): r is ContainerRecord => r !== undefined);
  }

  /** docker's lookup order: full ID, then exact name, then a unique ID prefix. */
  async find(text: string): Promise<ContainerRecord> {
    // A full ID is the first thing looked for: its record is read alone, not every record.
    const byId = idPattern.test(text) ? await this.get(text) : undefined;
    if (byId !== undefined) return byId;
    const all = await this.list();
    const name = text.startsWith('/') ? text.slice(1) : text;
    const found = all.find((r) => r.id === text) ?? all.find((r) => r.name === name);
    if (found !== undefined) return found;
    const matches = /^[a-f0-9]+$/.test(text) ? all.filter((r) => r.id.startsWith(text)) : [];
    if (matches.length > 1) {
      throw new KilnError('INVALID_ARGUMENT', `multiple IDs found with provided prefix: ${text}`, { hint: 'give more characters of the ID, or the name' });
    }
    const match = matches[0];
    if (match === undefined) throw new KilnError('NOT_FOUND', `No such container: ${text}`);
    return match;
  }

  /**
   * Removes the container for every reader at once, record and files, by renaming its directory
   * to a temp name, and frees its name; returns the deletion of the files under way, all of it
   * asynchronous (a --rm run's result does not wait for it). A process that dies before it ends
   * leaves the temp dir for removeStaleTempDirs at the daemon's next start.
   */
  removeDeferred(record: ContainerRecord): { files: Promise<void> } {
    const hidden = join(this.dir, `tmp-${process.pid}-${record.id}`);
    renameSync(this.containerDir(record.id), hidden);
    this.release(record);
    return { files: removeTree(hidden) };
  }

  /** Deletes what removeDeferred of processes that died left; returns how many containers' files. */
  async removeStaleTempDirs(): Promise<number> {
    try {
      return (await removeStaleTempDirs(this.dir)).length;
    } catch (err) {
      if (isCode(err, 'ENOENT')) return 0;
      throw err;
    }
  }

  /** Removes the record first (the container is gone for every reader), then its name and files. */
  async remove(record: ContainerRecord): Promise<void> {
    unlinkIfThere(join(this.containerDir(record.id), 'container.json'));
    this.release(record);
    await removeMostlyEmpty(this.containerDir(record.id));
  }

  /** Frees the container's name, unless another container has taken it over since. */
  private release(record: ContainerRecord): void {
    const namePath = join(this.namesDir, record.name);
    if (ownerOf(namePath) !== record.id) return;
    try {
      unlinkSync(namePath);
    } catch {
      // gone already: nothing to free
    }
  }
}
