// What `kiln volume ...` does: create, list, inspect, remove and prune local volumes. A volume
// is in use while any container record (running or not) mounts it, as docker counts it, so
// removing it is refused until those containers are removed.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../../util/errors.js';
import { ContainerStore } from '../containers/store.js';
import { anonymousVolumeLabel, VolumeStore, type Volume } from './store.js';
import { anonymousVolumeName } from '../containers/mounts.js';

/** docker volume inspect's view of a volume. */
export interface VolumeInspect {
  CreatedAt: string;
  Driver: 'local';
  Labels: Record<string, string>;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string>;
  Scope: 'local';
}

export function inspectView(store: VolumeStore, volume: Volume): VolumeInspect {
  return {
    CreatedAt: volume.createdAt, Driver: 'local', Labels: { ...volume.labels }, Mountpoint: store.dataDir(volume.name),
    Name: volume.name, Options: {}, Scope: 'local',
  };
}

/** docker volume create: a missing name is a random one; an existing volume is returned as it is. */
export async function createVolume(root: string, name: string | undefined, labels: Record<string, string> = {}): Promise<Volume> {
  // docker labels a volume created without a name as anonymous, which is what prune looks for.
  const store = new VolumeStore(root);
  if (name === undefined) return (await store.ensure(anonymousVolumeName(), { ...labels, [anonymousVolumeLabel]: '' })).volume;
  return (await store.ensure(name, labels)).volume;
}

/** Volume name → IDs of the containers whose records mount it. */
export async function volumeUsers(root: string): Promise<Map<string, string[]>> {
  const users = new Map<string, string[]>();
  for (const record of await new ContainerStore(root).list()) {
    for (const mount of record.config.mounts ?? []) {
      if (mount.type === 'volume') users.set(mount.name, [...(users.get(mount.name) ?? []), record.id]);
    }
  }
  return users;
}

export async function removeVolume(root: string, name: string, options: { force?: boolean } = {}): Promise<void> {
  const store = new VolumeStore(root);
  if ((await store.get(name)) === undefined) {
    if (options.force === true) return;
    throw new KilnError('NOT_FOUND', `get ${name}: no such volume`);
  }
  const users = (await volumeUsers(root)).get(name);
  if (users !== undefined) {
    throw new KilnError('CONFLICT', `remove ${name}: volume is in use - [${users.join(', ')}]`, {
      hint: 'remove the containers that use it first',
    });
  }
  await store.remove(name);
}

/** The volumes a --rm container made for itself go with it, unless another container took them up. */
export async function removeAnonymousVolumes(root: string, names: string[]): Promise<void> {
  if (names.length === 0) return;
  const users = await volumeUsers(root);
  const store = new VolumeStore(root);
  for (const name of names) if (!users.has(name)) await store.remove(name);
}

async function diskUsage(path: string): Promise<number> {
  const stats = await lstat(path).catch(() => undefined);
  if (stats === undefined) return 0;
  if (!stats.isDirectory()) return stats.size;
  const names = await readdir(path).catch(() => []);
  // Like docker's directory.Size: the files' sizes, not the directories' own.
  let total = 0;
  for (const name of names) total += await diskUsage(join(path, name));
  return total;
}

export interface PruneResult {
  deleted: string[];
  reclaimedBytes: number;
}

/** docker volume prune: unused anonymous volumes, or every unused volume with `all`. */
export async function pruneVolumes(root: string, options: { all?: boolean } = {}): Promise<PruneResult> {
  const store = new VolumeStore(root);
  const users = await volumeUsers(root);
  const result: PruneResult = { deleted: [], reclaimedBytes: 0 };
  for (const volume of await store.list()) {
    if (users.has(volume.name)) continue;
    if (options.all !== true && !(anonymousVolumeLabel in volume.labels)) continue;
    result.reclaimedBytes += await diskUsage(store.dataDir(volume.name));
    await store.remove(volume.name);
    result.deleted.push(volume.name);
  }
  return result;
}
