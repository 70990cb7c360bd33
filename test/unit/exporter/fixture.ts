// The exporter tests' world: a store whose snapshotter has a small base layer unpacked, a set
// of changes made through a mounted snapshot, and a description of a tree (types, modes,
// owners, contents, link targets, hard links, extended attributes) to compare trees by.
import { execFile } from 'node:child_process';
import { chmod, chown, link, lstat, mkdir, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGunzip, gzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { digestBytes, LocalContentStore } from '../../../src/content/index.js';
import { MediaTypes, type Descriptor } from '../../../src/image/index.js';
import { mountAll, OverlaySnapshotter, unmountAll } from '../../../src/snapshot/index.js';
import { writeBlob } from '../../helpers/oci-layout.js';
import { tarBuffer } from '../snapshot/tar-helpers.js';

const run = promisify(execFile);

/** Older than any SOURCE_DATE_EPOCH the tests use, so unchanged nodes keep their times. */
export const baseTime = new Date('2019-01-01T00:00:00Z');
export const longName = `deep/${'d'.repeat(60)}/${'f'.repeat(70)}`;

export function baseLayerTar(): Promise<Buffer> {
  const at = { mtime: baseTime, uid: 0, gid: 0 };
  return tarBuffer([
    { ...at, name: 'etc/', type: 'directory', mode: 0o755 },
    { ...at, name: 'etc/keep', content: 'keep\n', mode: 0o644 },
    { ...at, name: 'etc/modify', content: 'old\n', mode: 0o644 },
    { ...at, name: 'etc/chmod', content: 'chmod\n', mode: 0o644 },
    { ...at, name: 'etc/chown', content: 'chown\n', mode: 0o644 },
    { ...at, name: 'etc/gone', content: 'gone\n', mode: 0o644 },
    { ...at, name: 'olddir/', type: 'directory', mode: 0o755 },
    { ...at, name: 'olddir/a', content: 'a\n', mode: 0o644 },
    { ...at, name: 'replaced/', type: 'directory', mode: 0o755 },
    { ...at, name: 'replaced/old', content: 'old\n', mode: 0o644 },
    { ...at, name: 'bin/', type: 'directory', mode: 0o755 },
  ]);
}

export interface World {
  root: string;
  content: LocalContentStore;
  snapshotter: OverlaySnapshotter;
  /** The chain ID of the unpacked base layer: the parent of every test snapshot. */
  base: string;
}

/** A store under `root` with the base layer unpacked. */
export async function makeWorld(root: string, forceCopy = false): Promise<World> {
  const tar = await baseLayerTar();
  const blob = await writeBlob(join(root, 'content'), Readable.from([gzipSync(tar)]));
  const content = new LocalContentStore(root);
  const snapshotter = new OverlaySnapshotter(root, { forceCopy });
  const base = await snapshotter.unpack(content, [{ mediaType: MediaTypes.ociLayerGzip, digest: blob.digest, size: blob.size }], [digestBytes(tar)]);
  return { root, content, snapshotter, base };
}

/** Every kind of change a build step makes, made under `dir` (a mounted snapshot). */
export async function makeChanges(dir: string): Promise<void> {
  await writeFile(join(dir, 'etc/new'), 'new file\n', { mode: 0o640 });
  await writeFile(join(dir, 'etc/modify'), 'new content\n');
  await chmod(join(dir, 'etc/chmod'), 0o600);
  await chown(join(dir, 'etc/chown'), 1234, 5678);
  await rm(join(dir, 'etc/gone'));
  await rm(join(dir, 'olddir'), { recursive: true });
  await rm(join(dir, 'replaced'), { recursive: true });
  await mkdir(join(dir, 'replaced'), { mode: 0o750 });
  await writeFile(join(dir, 'replaced/fresh'), 'fresh\n');
  await writeFile(join(dir, 'bin/tool'), '#!/bin/sh\n', { mode: 0o755 });
  await link(join(dir, 'bin/tool'), join(dir, 'bin/tool2'));
  await symlink('etc/keep', join(dir, 'link'));
  await run('mknod', ['-m', '0600', join(dir, 'pipe'), 'p']);
  await mkdir(join(dir, longName, '..'), { recursive: true });
  await writeFile(join(dir, longName), 'a path longer than ustar holds\n');
  await run('setfattr', ['-n', 'user.note', '-v', 'hello', join(dir, 'etc/new')]);
  // A value that is not UTF-8: it must reach the layer byte for byte.
  await run('setfattr', ['-n', 'user.binary', '-v', '0xff00fe', join(dir, 'etc/new')]);
}

/** Prepares snapshot `key` on the base, makes the changes through a mount of it, and commits it as `name`. */
export async function changedSnapshot(world: World, mountPoint: string, key: string, name: string, change = makeChanges): Promise<void> {
  await mkdir(mountPoint, { recursive: true });
  await mountAll(await world.snapshotter.prepare(key, world.base), mountPoint);
  try {
    await change(mountPoint);
  } finally {
    await unmountAll(mountPoint);
  }
  await world.snapshotter.commit(name, key);
}

async function xattrDump(dir: string): Promise<string> {
  const { stdout } = await run('getfattr', ['-R', '-P', '-h', '-d', '-m', '-', '-e', 'hex', '--', '.'], { cwd: dir });
  return stdout.split('\n').filter((line) => !line.startsWith('trusted.overlay.')).join('\n');
}

/** Every node under `dir` with its type, mode, owners, content or target and link count; then the attributes. */
export async function describe(dir: string, prefix = ''): Promise<Record<string, string>> {
  const tree: Record<string, string> = {};
  for (const name of (await readdir(join(dir, prefix))).sort()) {
    const path = join(prefix, name);
    const stats = await lstat(join(dir, path));
    const state = `${(stats.mode & 0o7777).toString(8)} ${stats.uid}:${stats.gid}`;
    if (stats.isSymbolicLink()) tree[path] = `symlink ${await readlink(join(dir, path))} ${state}`;
    else if (stats.isDirectory()) {
      tree[path] = `dir ${state}`;
      Object.assign(tree, await describe(dir, path));
    } else if (stats.isFile()) tree[path] = `file ${await readFile(join(dir, path), 'utf8')} ${state} links=${stats.nlink}`;
    else tree[path] = `${stats.isFIFO() ? 'fifo' : 'other'} ${state}`;
  }
  if (prefix === '') tree['(xattrs)'] = await xattrDump(dir);
  return tree;
}

/** `<type> <name>[ -> <link>]` of every entry of a gzip layer blob, in order. */
export async function layerEntries(content: LocalContentStore, layer: Descriptor): Promise<string[]> {
  const entries: string[] = [];
  const parser = extract();
  const reading = pipeline(await content.read(layer), createGunzip(), parser);
  for await (const entry of parser) {
    const { type, name, linkname } = entry.header;
    entries.push(`${type} ${name}${linkname ? ` -> ${linkname}` : ''}`);
    entry.resume();
  }
  await reading;
  return entries;
}
