// Where a file output lands: the daemon is local and writes the path the client resolved. The
// result appears whole or not at all: it is written under a temporary name beside `dest` and
// renamed into place once complete, and a failed or cancelled output removes what it wrote.
import { randomBytes } from 'node:crypto';
import { createWriteStream, type Stats } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { KilnError } from '../../util/errors.js';

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  return stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new KilnError('CANCELED', 'writing the output was canceled', { cause: signal.reason });
}

/** A file system error (no space, a read-only dest) as the output's: named by its flag and path. */
function outputError(dest: string, err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof KilnError) return err;
  return new KilnError('FAILED_PRECONDITION', `--output: writing ${dest}: ${err.message}`, { cause: err, details: { flag: '--output' } });
}

/** The temporary name beside `dest`: hidden, and unique per output. */
function tempPrefix(dest: string): string {
  return join(dirname(dest), `.${basename(dest)}.kiln-`);
}

/**
 * Writes file `dest` through `write`, which fills `out` and ends it. A directory at `dest` is
 * refused: renaming a file over it would fail only after all the work.
 */
export async function writeDestFile(dest: string, write: (out: Writable) => Promise<void>, signal?: AbortSignal): Promise<void> {
  if ((await statOrUndefined(dest))?.isDirectory() === true) {
    throw new KilnError('INVALID_ARGUMENT', `--output: dest ${dest} is a directory; this output writes a file`, { details: { flag: '--output' } });
  }
  await mkdir(dirname(dest), { recursive: true });
  const temp = `${tempPrefix(dest)}${randomBytes(6).toString('hex')}`;
  const out = createWriteStream(temp, { flags: 'wx', mode: 0o644 });
  // Whatever fills the file stops at its next write, even inside one large entry.
  const cancel = (): void => void out.destroy(new KilnError('CANCELED', 'writing the output was canceled'));
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    checkAbort(signal);
    await write(out);
    await finished(out);
    checkAbort(signal);
    await rename(temp, dest);
  } catch (err) {
    out.destroy();
    await rm(temp, { force: true });
    throw outputError(dest, err);
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
}

/**
 * Writes directory `dest` through `fill`, which receives an empty directory. `dest` may be
 * absent or an empty directory; one with files is refused, since merging into it could not
 * be undone on failure.
 */
export async function writeDestDir(dest: string, fill: (dir: string) => Promise<void>, signal?: AbortSignal): Promise<void> {
  const existing = await statOrUndefined(dest);
  if (existing !== undefined && (!existing.isDirectory() || (await readdir(dest)).length > 0)) {
    throw new KilnError('FAILED_PRECONDITION', `--output: dest ${dest} exists and is not an empty directory`, {
      hint: 'give a new path, or remove what is there', details: { flag: '--output' },
    });
  }
  await mkdir(dirname(dest), { recursive: true });
  const temp = await mkdtemp(tempPrefix(dest));
  try {
    checkAbort(signal);
    await fill(temp);
    checkAbort(signal);
    // mkdtemp makes it private; the result is an ordinary directory, as BuildKit's local exporter makes.
    await chmod(temp, 0o755);
    if (existing !== undefined) await rmdir(dest);
    await rename(temp, dest);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw outputError(dest, err);
  }
}
