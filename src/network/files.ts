// Small JSON files under the store root, written so that a crash never leaves half a file.
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic-file.js';
import { dirname, join } from 'node:path';

/** Replaces the file durably: a crash leaves the old content or the new, never half of it. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** The parsed file, or undefined when it does not exist. */
export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Every `*.json` file of a directory (none when it does not exist), parsed. */
export async function readJsonDir<T>(dir: string): Promise<T[]> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  const values: T[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const value = await readJson<T>(join(dir, name));
    if (value !== undefined) values.push(value);
  }
  return values;
}

/**
 * Writes a new file that must not exist yet: the complete temporary file is hard-linked into
 * place, which fails with EEXIST atomically when another process got there first.
 */
export async function createJsonExclusive(path: string, value: unknown): Promise<boolean> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`);
    await link(temporary, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(temporary, { force: true });
  }
}
