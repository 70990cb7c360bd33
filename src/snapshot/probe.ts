// Whether this host can mount overlayfs here: kernels without it (ENODEV), unprivileged users
// (EPERM) and upper filesystems it refuses (EINVAL: overlay on overlay, some FUSE and network
// filesystems) all fail the same trial mount, and the snapshotter then copies instead.
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KilnError } from '../util/errors.js';
import { makeTempDir } from './metadata.js';

const run = promisify(execFile);

export type SnapshotDriver = 'overlay' | 'copy';

/** Mounts a two-lower overlay in a temp dir under `dir` and undoes it again. */
export async function probeOverlay(dir: string): Promise<SnapshotDriver> {
  const trial = await makeTempDir(dir);
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
