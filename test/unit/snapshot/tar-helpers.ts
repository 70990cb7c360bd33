// Builds layer tars for the apply tests with tar-stream's pack, and temp dirs to apply them to.
import { mkdtemp, readdir, lstat, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pack, type Header } from 'tar-stream';

export type TarEntry = Partial<Header> & { name: string; content?: string | Buffer };

/** A tar stream of the given entries, in order. */
export function tarOf(entries: TarEntry[]): Readable {
  const packer = pack();
  for (const { content, ...header } of entries) {
    if (content === undefined) packer.entry(header);
    else packer.entry(header, content);
  }
  packer.finalize();
  return Readable.from(packer);
}

export async function tarBuffer(entries: TarEntry[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of tarOf(entries)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const made: string[] = [];

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-apply-'));
  made.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Every path under `dir` (not following symlinks) with what identifies its state. */
export async function describeTree(dir: string, prefix = ''): Promise<Record<string, string>> {
  const tree: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    const stats = await lstat(path);
    const key = prefix + name;
    const state = `${stats.mode.toString(8)} ${stats.mtimeMs} ${stats.nlink}`;
    if (stats.isSymbolicLink()) tree[key] = `link ${await readlink(path)} ${state}`;
    else if (stats.isDirectory()) {
      tree[key] = `dir ${state}`;
      Object.assign(tree, await describeTree(path, `${key}/`));
    } else tree[key] = `file ${(await readFile(path)).toString('hex')} ${state}`;
  }
  return tree;
}
