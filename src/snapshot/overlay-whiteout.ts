// Whiteouts in overlayfs's own format, for a layer unpacked into a directory of its own that
// becomes an overlay lowerdir (containerd's OverlayConvertWhiteout): nothing below is there to
// delete, so a removal is recorded as a 0/0 character device named after the removed entry,
// and an opaque directory as the `trusted.overlay.opaque=y` attribute on that directory.
// Both need root (CAP_MKNOD, CAP_SYS_ADMIN for trusted.*), as overlay mounts do anyway.
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KilnError } from '../util/errors.js';

const run = promisify(execFile);

export const opaqueXattr = 'trusted.overlay.opaque';

/** Whether an lstat (plain or bigint) is overlayfs's whiteout: a 0/0 character device. */
export function isOverlayWhiteout(stats: { isCharacterDevice(): boolean; rdev: number | bigint }): boolean {
  return stats.isCharacterDevice() && Number(stats.rdev) === 0;
}

function failure(what: string, entry: string, err: unknown): KilnError {
  const reason = err instanceof Error ? err.message.trim() : String(err);
  return new KilnError('INTERNAL', `writing the overlay ${what} for layer entry "${entry}" failed: ${reason}`, {
    hint: 'unpacking layers for overlayfs needs root and a filesystem with trusted.* attributes',
    cause: err,
  });
}

/** Replaces whatever this layer put at `path` with a whiteout device hiding the lower entry. */
export async function writeOverlayWhiteout(root: string, parent: string[], name: string, entry: string): Promise<void> {
  await mkdir(join(root, ...parent), { recursive: true, mode: 0o755 });
  const path = join(root, ...parent, name);
  await rm(path, { recursive: true, force: true });
  try {
    await run('mknod', ['-m', '000', '--', path, 'c', '0', '0']);
  } catch (err) {
    throw failure('whiteout', entry, err);
  }
}

/**
 * Marks `dir` opaque: the lower layers' content of it is hidden, what this layer writes there
 * (before or after the marker) stays. Set at once, not with the layer's PAX attributes, since
 * an opaque marker the filesystem refuses must fail the unpack rather than be counted.
 */
export async function markOverlayOpaque(root: string, dir: string[], entry: string): Promise<void> {
  const path = join(root, ...dir);
  await mkdir(path, { recursive: true, mode: 0o755 });
  try {
    await run('setfattr', ['-h', '-n', opaqueXattr, '-v', 'y', '--', path]);
  } catch (err) {
    throw failure('opaque marker', entry, err);
  }
}
