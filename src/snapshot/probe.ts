// Whether this host can mount overlayfs here: kernels without it (ENODEV), unprivileged users
// (EPERM) and upper filesystems it refuses (EINVAL: overlay on overlay, some FUSE and network
// filesystems) all fail the same trial mount, and the snapshotter then copies instead.
// The answer is kept in the snapshot directory until the next boot (a kernel or module change
// needs one): two mount(8) runs would otherwise be part of every `kiln run`.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../util/atomic-file.js';
import { KilnError } from '../util/errors.js';
import { makeTempDir } from './metadata.js';

const run = promisify(execFile);

export type SnapshotDriver = 'overlay' | 'copy';

/** Mounts a two-lower overlay in a temp dir under `dir` and undoes it again. */
export async function probeOverlay(dir: string): Promise<SnapshotDriver> {
  const trial = makeTempDir(dir);
  try {
    for (const sub of ['l1', 'l2', 'u', 'w', 'm']) await mkdir(join(trial, sub));
    const options = `lowerdir=${join(trial, 'l2')}:${join(trial, 'l1')},upperdir=${join(trial, 'u')},workdir=${join(trial, 'w')}`;
    try {
      await run('mount', ['-t', 'overlay', '-o', options, '--', 'overlay', join(trial, 'm')]);
    } catch {
      return 'copy';
    }
    try {
      await run('umount', ['--', join(trial, 'm')]);
    } catch (err) {
      throw new KilnError('INTERNAL', `unmounting the overlay probe at ${join(trial, 'm')} failed`, { cause: err });
    }
    return 'overlay';
  } finally {
    await rm(trial, { recursive: true, force: true });
  }
}

interface ProbeRecord {
  driver: SnapshotDriver;
  bootId: string;
}

const probeFile = 'driver.json';

async function bootId(): Promise<string> {
  return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '')).trim();
}

async function readProbe(dir: string, boot: string): Promise<SnapshotDriver | undefined> {
  try {
    const record = JSON.parse(await readFile(join(dir, probeFile), 'utf8')) as Partial<ProbeRecord>;
    const known = record.driver === 'overlay' || record.driver === 'copy';
    return known && boot !== '' && record.bootId === boot ? record.driver : undefined;
  } catch {
    return undefined;
  }
}

/** probeOverlay's answer for `dir`, from the record of an earlier probe since this boot when there is one. */
export async function cachedProbe(dir: string): Promise<SnapshotDriver> {
  const boot = await bootId();
  const known = await readProbe(dir, boot);
  if (known !== undefined) return known;
  const driver = await probeOverlay(dir);
  if (boot !== '') await writeFileAtomic(join(dir, probeFile), JSON.stringify({ driver, bootId: boot } satisfies ProbeRecord));
  return driver;
}
