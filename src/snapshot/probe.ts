// Whether this host can mount overlayfs here: kernels without it (ENODEV), unprivileged users
// (EPERM) and upper filesystems it refuses (EINVAL: overlay on overlay, some FUSE and network
// filesystems) all fail the same trial mount, and the snapshotter then copies instead.
// The answer is kept in the snapshot directory until the next boot (a kernel or module change
// needs one): the mount(8) runs would otherwise be part of every `kiln run`.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../util/atomic-file.js';
import { KilnError } from '../util/errors.js';
import { makeTempDir } from './metadata.js';

const run = promisify(execFile);

export type SnapshotDriver = 'overlay' | 'copy';

/** What the trial mounts found. */
export interface Probe {
  driver: SnapshotDriver;
  /**
   * overlayfs takes `volatile` (Linux 5.10+): its unmount then skips syncing the whole upper
   * filesystem, which otherwise waits for every dirty page on it, anyone's.
   */
  volatile: boolean;
}

async function trialMount(trial: string, upper: string, extra: string): Promise<boolean> {
  await mkdir(join(trial, upper));
  await mkdir(join(trial, `${upper}-work`));
  const options = `lowerdir=${join(trial, 'l2')}:${join(trial, 'l1')},upperdir=${join(trial, upper)},workdir=${join(trial, `${upper}-work`)}${extra}`;
  try {
    await run('mount', ['-t', 'overlay', '-o', options, '--', 'overlay', join(trial, 'm')]);
  } catch {
    return false;
  }
  try {
    await run('umount', ['--', join(trial, 'm')]);
  } catch (err) {
    throw new KilnError('INTERNAL', `unmounting the overlay probe at ${join(trial, 'm')} failed`, { cause: err });
  }
  return true;
}

/** Mounts a two-lower overlay in a temp dir under `dir` (then a volatile one) and undoes it again. */
export async function probeOverlay(dir: string): Promise<Probe> {
  const trial = makeTempDir(dir);
  try {
    for (const sub of ['l1', 'l2', 'm']) await mkdir(join(trial, sub));
    if (!(await trialMount(trial, 'u', ''))) return { driver: 'copy', volatile: false };
    return { driver: 'overlay', volatile: await trialMount(trial, 'v', ',volatile') };
  } finally {
    await rm(trial, { recursive: true, force: true });
  }
}

interface ProbeRecord extends Probe {
  bootId: string;
}

const probeFile = 'driver.json';

async function bootId(): Promise<string> {
  return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '')).trim();
}

async function readProbe(dir: string, boot: string): Promise<Probe | undefined> {
  try {
    const record = JSON.parse(await readFile(join(dir, probeFile), 'utf8')) as Partial<ProbeRecord>;
    const known = (record.driver === 'overlay' || record.driver === 'copy') && typeof record.volatile === 'boolean';
    return known && boot !== '' && record.bootId === boot ? { driver: record.driver as SnapshotDriver, volatile: record.volatile as boolean } : undefined;
  } catch {
    return undefined;
  }
}

/** probeOverlay's answer for `dir`, from the record of an earlier probe since this boot when there is one. */
export async function cachedProbe(dir: string): Promise<Probe> {
  const boot = await bootId();
  const known = await readProbe(dir, boot);
  if (known !== undefined) return known;
  const probe = await probeOverlay(dir);
  if (boot !== '') await writeFileAtomic(join(dir, probeFile), JSON.stringify({ ...probe, bootId: boot } satisfies ProbeRecord));
  return probe;
}
