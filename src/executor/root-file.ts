// Reading a file of an image's rootfs from the host, as the container would see it.
//
// The rootfs is untrusted: /etc/passwd may be a symlink to /etc/shadow of the *host* if
// followed naively (`etc/passwd -> /etc/shadow`, `-> ../../../../etc/shadow`). Symlinks are
// therefore resolved component by component against the rootfs, the way the kernel would
// inside the container's chroot (and as runc's securejoin does): an absolute target restarts
// at the rootfs, and `..` at the rootfs stays there. The final open refuses symlinks, and
// only regular files are read, so a FIFO or device planted in the image cannot hang or flood us.
import { constants } from 'node:fs';
import { lstat, open, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../util/errors.js';

/** Linux's limit on symlinks followed while resolving one path. */
const maxSymlinkFollows = 40;

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/** Host path of `path` inside `root`, with every symlink resolved inside `root`. */
export async function resolveInRootfs(root: string, path: string): Promise<string> {
  const resolved: string[] = [];
  const pending = path.split('/');
  let follows = 0;
  for (let part = pending.shift(); part !== undefined; part = pending.shift()) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = join(root, ...resolved, part);
    const stats = await lstat(candidate).catch((err: unknown) => {
      if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return undefined;
      throw err;
    });
    if (stats?.isSymbolicLink()) {
      follows += 1;
      if (follows > maxSymlinkFollows) {
        throw new KilnError('INVALID_ARGUMENT', `${path} in the image goes through too many symlinks`);
      }
      const target = await readlink(candidate);
      if (target.startsWith('/')) resolved.length = 0;
      pending.unshift(...target.split('/'));
      continue;
    }
    resolved.push(part);
  }
  return join(root, ...resolved);
}

/**
 * The text of `path` inside the rootfs, or undefined when it does not exist. A file larger
 * than `maxBytes`, or one that is not a regular file, is an error naming the path.
 */
export async function readRootfsFile(root: string, path: string, maxBytes: number): Promise<string | undefined> {
  const hostPath = await resolveInRootfs(root, path);
  const handle = await open(hostPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(
    (err: unknown) => {
      if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return undefined;
      throw err;
    },
  );
  if (handle === undefined) return undefined;
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new KilnError('INVALID_ARGUMENT', `${path} in the image is not a regular file`);
    if (stats.size > maxBytes) {
      throw new KilnError('INVALID_ARGUMENT', `${path} in the image is larger than ${maxBytes} bytes`);
    }
    const buffer = Buffer.alloc(stats.size);
    const { bytesRead } = await handle.read(buffer, 0, stats.size, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}
