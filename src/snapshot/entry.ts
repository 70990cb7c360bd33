// Writing one tar entry into the target: whiteouts, type replacement, the entry itself, then
// its metadata. Paths are resolved through safe-path.ts, so nothing here can touch a place
// outside the target root.
import { execFile } from 'node:child_process';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, rm, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Header } from 'tar-stream';
import { KilnError } from '../util/errors.js';
import { cleanEntryPath, resolveInRoot } from './safe-path.js';
import type { Xattr } from './pax-xattr.js';
import { markOverlayOpaque, writeOverlayWhiteout } from './overlay-whiteout.js';
import { applyOpaque, parseWhiteout, type LayerPaths } from './whiteout.js';
import type { LayerXattrs } from './xattr.js';

const run = promisify(execFile);

export interface ApplyContext {
  root: string;
  chown: boolean;
  /** Device nodes need CAP_MKNOD; without root they are skipped like rootless containerd does. */
  canMknod: boolean;
  written: LayerPaths;
  /** Directory times are set last: creating their children would bump them again. */
  directoryTimes: Array<{ path: string; mtime: Date }>;
  /** Attributes are set once the layer is written (xattr.ts); this holds them until then. */
  xattrs: LayerXattrs;
  xattrsOf: (header: Header) => Xattr[];
  checkAbort: () => void;
  /** 'apply' deletes from a merged tree; 'overlay' records whiteouts for an overlay lowerdir. */
  whiteouts: 'apply' | 'overlay';
}

/** Thrown by an entry's content stream: the tar itself is broken, not the filesystem. */
export class TarDataError extends Error {}

/** An entry's content, with read failures marked as TarDataError; iterate it only once. */
export async function* entryChunks(content: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of content) yield chunk;
  } catch (err) {
    throw new TarDataError(err instanceof Error ? err.message : String(err), { cause: err });
  }
}

/** Drains what was not read of an entryChunks generator, so the tar parser can move on. */
export async function drain(content: AsyncGenerator<Buffer>): Promise<void> {
  for await (const chunk of content) void chunk;
}

/** Streams a regular file's content to disk chunk by chunk; returns the bytes written. */
async function writeRegular(path: string, content: AsyncIterable<Buffer>, ctx: ApplyContext): Promise<number> {
  const handle = await open(path, 'wx', 0o600);
  let bytes = 0;
  try {
    for await (const chunk of content) {
      ctx.checkAbort();
      await handle.write(chunk);
      bytes += chunk.length;
    }
  } finally {
    await handle.close();
  }
  return bytes;
}

/**
 * Removes whatever occupies `path` unless it is a directory and a directory is coming:
 * containerd's rule, which keeps a lower directory's content when a layer re-lists it.
 * Returns whether something was removed.
 */
async function clearPath(path: string, directory: boolean): Promise<boolean> {
  let stats;
  try {
    stats = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  if (directory && stats.isDirectory()) return false;
  await rm(path, { recursive: true, force: true });
  return true;
}

async function hardLinkTarget(root: string, entry: string, linkname: string): Promise<string> {
  let components: string[];
  try {
    components = cleanEntryPath(linkname);
  } catch {
    throw new KilnError('INVALID_ARGUMENT', `layer entry "${entry}" is a hard link to "${linkname}", which escapes the target directory`);
  }
  const base = components.at(-1);
  if (base === undefined) {
    throw new KilnError('INVALID_ARGUMENT', `layer entry "${entry}" is a hard link to the target directory itself`);
  }
  const parent = await resolveInRoot(root, components.slice(0, -1), entry);
  const target = join(root, ...parent, base);
  const stats = await lstat(target).catch(() => undefined);
  if (stats === undefined || stats.isDirectory()) {
    throw new KilnError('INVALID_ARGUMENT', `layer entry "${entry}" is a hard link to "${linkname}", which is not a file in the target`);
  }
  return target;
}

async function applyMetadata(path: string, header: Header, ctx: ApplyContext): Promise<void> {
  const symbolic = header.type === 'symlink';
  if (ctx.chown) await lchown(path, header.uid, header.gid);
  // After chown, which clears setuid/setgid; symlink modes mean nothing on Linux.
  if (!symbolic) await chmod(path, header.mode & 0o7777);
  const mtime = header.mtime;
  if (header.type === 'directory') ctx.directoryTimes.push({ path, mtime });
  else if (symbolic) await lutimes(path, mtime, mtime);
  else await utimes(path, mtime, mtime);
}

/** Creates the entry's own node; returns content bytes written, or undefined when skipped. */
async function createNode(path: string, header: Header, content: AsyncIterable<Buffer>, ctx: ApplyContext): Promise<number | undefined> {
  switch (header.type) {
    case 'file':
    case 'contiguous-file':
      return writeRegular(path, content, ctx);
    case 'directory':
      await mkdir(path, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      return 0;
    case 'symlink':
      await symlink(header.linkname, path);
      return 0;
    case 'link':
      await link(await hardLinkTarget(ctx.root, header.name, header.linkname), path);
      return 0;
    // Node has no mknod(2); coreutils' mknod does the one system call.
    case 'fifo':
      await run('mknod', ['--', path, 'p']);
      return 0;
    case 'character-device':
    case 'block-device':
      if (!ctx.canMknod) return undefined;
      await run('mknod', ['--', path, header.type === 'block-device' ? 'b' : 'c', `${header.devmajor}`, `${header.devminor}`]);
      return 0;
    default:
      return undefined;
  }
}

/** Applies one entry; returns the content bytes written, or undefined if it was skipped. */
export async function applyEntry(header: Header, content: AsyncIterable<Buffer>, ctx: ApplyContext): Promise<number | undefined> {
  const components = cleanEntryPath(header.name);
  const base = components.at(-1);
  // The root itself: its metadata belongs to the snapshot, not to the layer (as containerd).
  if (base === undefined) return undefined;
  const parent = await resolveInRoot(ctx.root, components.slice(0, -1), header.name);
  const whiteout = parseWhiteout(base, header.name);
  if (whiteout?.kind === 'opaque') {
    if (ctx.whiteouts === 'overlay') await markOverlayOpaque(ctx.root, parent, header.name);
    else await applyOpaque(ctx.root, parent, ctx.written);
    return 0;
  }
  if (whiteout?.kind === 'remove') {
    ctx.xattrs.forget([...parent, whiteout.name], true);
    if (ctx.whiteouts === 'overlay') await writeOverlayWhiteout(ctx.root, parent, whiteout.name, header.name);
    else await rm(join(ctx.root, ...parent, whiteout.name), { recursive: true, force: true });
    return 0;
  }
  await mkdir(join(ctx.root, ...parent), { recursive: true, mode: 0o755 });
  const path = join(ctx.root, ...parent, base);
  // What this layer meant for a removed node must not land on its replacement.
  if (await clearPath(path, header.type === 'directory')) ctx.xattrs.forget([...parent, base], true);
  const bytes = await createNode(path, header, content, ctx);
  if (bytes === undefined) return undefined;
  ctx.written.add([...parent, base]);
  ctx.xattrs.record([...parent, base], header.name, ctx.xattrsOf(header));
  // A hard link shares its target's inode, whose metadata is already in place.
  if (header.type !== 'link') await applyMetadata(path, header, ctx);
  return bytes;
}
