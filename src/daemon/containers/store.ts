// The container store: one directory per container under `<root>/containers/<id>/` holding
// container.json (written atomically, so a reader sees the old record or the new one), and
// the container's own files (rootfs mount point, bundle, /etc files).
//
// Names are reserved by exclusive creation of `<root>/container-names/<name>` holding the id:
// two `kiln run --name x` in separate processes cannot both win, with no lock to leave behind.
// A reservation whose container directory is gone (a crash between the two) is stale and
// taken over.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, type AtomicWriteOptions } from '../../util/atomic-file.js';
import { KilnError } from '../../util/errors.js';
import { generateName } from './names.js';
import type { ContainerRecord } from './record.js';

const idPattern = /^[a-f0-9]{64}$/;
const nameAttempts = 10;

function isCode(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException).code === code;
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

  /** Creates the container's directory, reserves its name (given or generated) and writes the record. */
  async create(record: Omit<ContainerRecord, 'name'>, name: string | undefined): Promise<ContainerRecord> {
    await Promise.all([mkdir(this.namesDir, { recursive: true }), mkdir(this.containerDir(record.id), { recursive: true })]);
    try {
      let reserved = name;
      if (reserved === undefined) reserved = await this.reserveGenerated(record.id);
      else await this.reserve(reserved, record.id);
      const full: ContainerRecord = { ...record, name: reserved };
      await this.write(full);
      return full;
    } catch (err) {
      await rm(this.containerDir(record.id), { recursive: true, force: true });
      throw err;
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
        await writeFile(path, id, { flag: 'wx' });
        return;
      } catch (err) {
        if (!isCode(err, 'EEXIST')) throw err;
      }
      const owner = (await readFile(path, 'utf8').catch(() => '')).trim();
      const ownerAlive = owner !== '' && (await readdir(this.containerDir(owner)).then(() => true, () => false));
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

  async get(id: string): Promise<ContainerRecord | undefined> {
    try {
      return JSON.parse(await readFile(join(this.containerDir(id), 'container.json'), 'utf8')) as ContainerRecord;
    } catch (err) {
      if (isCode(err, 'ENOENT')) return undefined;
      throw err;
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

  /** Removes the record first (the container is gone for every reader), then its files and name. */
  async remove(record: ContainerRecord): Promise<void> {
    await rm(join(this.containerDir(record.id), 'container.json'), { force: true });
    await Promise.all([rm(this.containerDir(record.id), { recursive: true, force: true }), this.release(record)]);
  }

  /** Frees the container's name, unless another container has taken it over since. */
  private async release(record: ContainerRecord): Promise<void> {
    const namePath = join(this.namesDir, record.name);
    const owner = (await readFile(namePath, 'utf8').catch(() => '')).trim();
    if (owner === record.id) await unlink(namePath).catch(() => undefined);
  }
}
