// Path resolution that can never leave the target directory of a layer apply.
//
// Entry names come from an untrusted tar, and earlier entries of the same layer (or lower
// layers) may have planted symlinks. Every parent component is therefore lstat'ed and, when
// it is a symlink, followed *inside* the root, the way containerd's fs.RootPath does:
// - a leading `/` on an entry name means "relative to the target" (layers are root-relative);
// - an absolute symlink target is resolved against the target root, not the host root, which
//   is what the container will see (`var/run -> /run` is common in real images);
// - a `..` that would climb above the target — in an entry name, a hard-link name or a
//   relative symlink target — is refused rather than clamped: no honest layer needs it.
import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../util/errors.js';

/** Linux's limit on symlinks followed while resolving one path. */
const maxSymlinkFollows = 40;

function escapeError(entry: string, what = 'layer entry'): KilnError {
  return new KilnError('INVALID_ARGUMENT', `${what} "${entry}" escapes the target directory`, {
    hint: 'the layer tar is malformed or malicious; it was not applied completely',
  });
}

/**
 * Cleans a tar entry name into root-relative components: empty and `.` components go,
 * `..` pops its parent, and a `..` with nothing left to pop throws. Returns [] for the root.
 */
export function cleanEntryPath(name: string, what = 'layer entry'): string[] {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) throw escapeError(name, what);
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  return parts;
}

async function lstatOrUndefined(path: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Resolves cleaned directory components against `root`, following symlinks only within it.
 * Components that do not exist yet are kept as they are (the caller creates them); once one
 * is missing nothing below it can be a symlink. Returns root-relative components that contain
 * no symlink, so joining them onto `root` names a place inside the target.
 */
export async function resolveInRoot(root: string, components: string[], entry: string): Promise<string[]> {
  const resolved: string[] = [];
  const pending = [...components];
  let follows = 0;
  let missing = false;
  for (let part = pending.shift(); part !== undefined; part = pending.shift()) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (resolved.length === 0) throw escapeError(entry);
      resolved.pop();
      continue;
    }
    const stats = missing ? undefined : await lstatOrUndefined(join(root, ...resolved, part));
    if (stats === undefined) missing = true;
    if (stats?.isSymbolicLink()) {
      follows += 1;
      if (follows > maxSymlinkFollows) {
        throw new KilnError('INVALID_ARGUMENT', `layer entry "${entry}" goes through too many symlinks`);
      }
      const target = await readlink(join(root, ...resolved, part));
      if (target.startsWith('/')) resolved.length = 0;
      pending.unshift(...target.split('/'));
      continue;
    }
    resolved.push(part);
  }
  return resolved;
}
