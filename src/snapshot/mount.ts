// Mounts as containerd and the OCI runtime spec describe them, and performing them with
// mount(8) / umount(8): Node has no mount(2), and the util-linux commands are on every host
// that can run runc.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { KilnError } from '../util/errors.js';

const run = promisify(execFile);

export interface Mount {
  type: string;
  source: string;
  options: string[];
}

/**
 * The kernel copies mount options into one page: an overlay with many lowerdirs fails past it
 * with a bare EINVAL, so the snapshotter checks the length first and says why.
 */
export const maxMountData = 4095;

function commandError(what: string, err: unknown): KilnError {
  const stderr = (err as { stderr?: string }).stderr?.trim();
  const reason = stderr !== undefined && stderr !== '' ? stderr : err instanceof Error ? err.message : String(err);
  return new KilnError('INTERNAL', `${what} failed: ${reason}`, { cause: err });
}

async function mountOne(mount: Mount, target: string): Promise<void> {
  if (mount.type === 'bind') {
    const recursive = mount.options.includes('rbind');
    await run('mount', [recursive ? '--rbind' : '--bind', '--', mount.source, target]);
    // A bind mount ignores `ro` on its first pass; read-only takes a remount.
    if (mount.options.includes('ro')) await run('mount', ['-o', 'remount,bind,ro', '--', target]);
    return;
  }
  await run('mount', ['-t', mount.type, '-o', mount.options.join(','), '--', mount.source, target]);
}

/** Mounts each in order on `target`; on a failure, what was mounted is undone again. */
export async function mountAll(mounts: Mount[], target: string): Promise<void> {
  let done = 0;
  try {
    for (const mount of mounts) {
      await mountOne(mount, target);
      done += 1;
    }
  } catch (err) {
    if (done > 0) await unmountAll(target).catch(() => undefined);
    throw commandError(`mounting ${mounts[done]?.type ?? ''} on ${target}`, err);
  }
}

/** mountinfo escapes space, tab, newline and backslash in paths as octal. */
function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Mount points at or below `dir` in this process's mount namespace, in mount order. */
async function mountPointsUnder(dir: string): Promise<string[]> {
  const root = resolve(dir);
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const points: string[] = [];
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (field === undefined) continue;
    const point = unescapeMountPath(field);
    if (point === root || point.startsWith(`${root}/`)) points.push(point);
  }
  return points;
}

/**
 * Unmounts everything at or below `target`, newest first. Nothing mounted is fine; a busy
 * mount is an error, never a lazy detach that would leave the filesystem alive unseen.
 */
export async function unmountAll(target: string): Promise<void> {
  for (;;) {
    const point = (await mountPointsUnder(target)).at(-1);
    if (point === undefined) return;
    try {
      await run('umount', ['--', point]);
    } catch (err) {
      throw new KilnError('CONFLICT', `unmounting ${point} failed`, {
        hint: 'a process still uses the mount; stop it and retry',
        cause: commandError('umount', err),
      });
    }
  }
}
