// Writing a build context for a test: regular files (parents created), symlinks and empty
// directories, from one table keyed by the path inside the context.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** A file's contents, a symlink's target, or an empty directory. */
export type ContextEntry = string | Buffer | { symlink: string } | { dir: true };

export type ContextFiles = Record<string, ContextEntry>;

/** Writes `files` under `dir` (existing files are overwritten), then lets the clock move on. */
export async function writeContext(dir: string, files: ContextFiles): Promise<void> {
  for (const [path, entry] of Object.entries(files)) {
    const target = join(dir, path);
    await mkdir(dirname(target), { recursive: true });
    if (typeof entry === 'string' || Buffer.isBuffer(entry)) await writeFile(target, entry);
    else if ('symlink' in entry) await symlink(entry.symlink, target);
    else await mkdir(target, { recursive: true });
  }
  // Files written just now are hashed again by every build (the stat cache does not trust them
  // yet): waiting keeps a test's cache assertions about kiln, not about the clock.
  await delay(150);
}
