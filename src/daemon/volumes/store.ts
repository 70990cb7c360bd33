// The local volume store, laid out as docker's `local` driver lays it out: one directory per
// volume under `<root>/volumes/<name>/`, the data in `_data` (what containers mount) and the
// metadata beside it in volume.json, written atomically and last, so a volume is listed only
// once it is whole. Creation is an exclusive mkdir: two runs naming a new volume at once
// share one volume instead of failing.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { KilnError } from '../../util/errors.js';

/** docker's rule for local volume names. */
const namePattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** The label docker puts on a volume created without a name. */
export const anonymousVolumeLabel = 'com.docker.volume.anonymous';

export interface Volume {
  name: string;
  /** RFC 3339, seconds precision, as docker shows it. */
  createdAt: string;
  labels: Record<string, string>;
}

export function validVolumeName(name: string): boolean {
  return namePattern.test(name);
}

function isCode(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException).code === code;
}

export class VolumeStore {
  readonly dir: string;

  constructor(root: string) {
    this.dir = join(root, 'volumes');
  }

  dataDir(name: string): string {
    return join(this.dir, name, '_data');
  }

  private metadataPath(name: string): string {
    return join(this.dir, name, 'volume.json');
  }

  /** The volume, created when it does not exist yet; `created` says which. */
  async ensure(name: string, labels: Record<string, string> = {}): Promise<{ volume: Volume; created: boolean }> {
    if (!validVolumeName(name)) {
      throw new KilnError('INVALID_ARGUMENT', `"${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed`);
    }
    await mkdir(this.dir, { recursive: true });
    let created = true;
    await mkdir(join(this.dir, name)).catch((err: unknown) => {
      if (!isCode(err, 'EEXIST')) throw err;
      created = false;
    });
    const existing = created ? undefined : await this.get(name);
    if (existing !== undefined) return { volume: existing, created: false };
    // New, or left without metadata by a creator that died: finish it.
    await mkdir(this.dataDir(name), { recursive: true, mode: 0o755 });
    const volume: Volume = { name, createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), labels };
    await writeFileAtomic(this.metadataPath(name), `${JSON.stringify(volume, null, 2)}\n`);
    return { volume, created: true };
  }

  async get(name: string): Promise<Volume | undefined> {
    if (!validVolumeName(name)) return undefined;
    try {
      return JSON.parse(await readFile(this.metadataPath(name), 'utf8')) as Volume;
    } catch (err) {
      if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return undefined;
      throw err;
    }
  }

  async find(name: string): Promise<Volume> {
    const volume = await this.get(name);
    if (volume === undefined) throw new KilnError('NOT_FOUND', `No such volume: ${name}`);
    return volume;
  }

  /** Every whole volume, sorted by name. */
  async list(): Promise<Volume[]> {
    const names = await readdir(this.dir).catch((err: unknown) => {
      if (isCode(err, 'ENOENT')) return [];
      throw err;
    });
    const volumes = await Promise.all(names.map((name) => this.get(name)));
    return volumes.filter((v): v is Volume => v !== undefined).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The metadata goes first, so a removal cut short leaves no half volume in the listing. */
  async remove(name: string): Promise<void> {
    await rm(this.metadataPath(name), { force: true });
    await rm(join(this.dir, name), { recursive: true, force: true });
  }
}
