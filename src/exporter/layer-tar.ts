// Writing a changeset as an OCI layer tar (image-spec layer.md): one entry per changed node,
// its content read from disk as it is written, so neither a file nor the layer is ever held in
// memory. Headers come from tar-header.ts; the writer waits for `out` to drain, so a slow
// consumer (gzip, the content store) paces the walk.
import { closeSync, createReadStream, openSync, readSync, type BigIntStats } from 'node:fs';
import type { Writable } from 'node:stream';
import { opaqueMarker, whiteoutPrefix } from '../snapshot/index.js';
import { KilnError } from '../util/errors.js';
import { contentPadding, encodeHeader, endOfArchive, type TarHeader } from './tar-header.js';

export interface NodeEntry {
  /** Root-relative path, `/`-separated, no leading `./`. */
  path: string;
  /** Where the node is read from. */
  source: string;
  stats: BigIntStats;
  xattrs: Array<[string, Buffer]>;
  /** The symlink's target. */
  linkTarget?: string;
}

/**
 * An entry described rather than read off a node in a snapshot: a COPY written straight from
 * the build context, with the owner, mode and time the copy gives it.
 */
export interface DescribedEntry {
  path: string;
  type: 'directory' | 'file' | 'symlink';
  /** Permission bits (and setuid/setgid/sticky). */
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  /** A file's size, and where its bytes are read from. */
  size?: number;
  source?: string;
  linkTarget?: string;
  xattrs?: Array<[string, Buffer]>;
}

/**
 * Files up to this size are read with one synchronous read and written with their header in
 * one piece: for a tree of many small files, the thread pool's open/read/close round trips
 * and three stream writes per file cost far more than the read itself.
 */
const SMALL_FILE = 64 * 1024;
/**
 * Bytes read at once from a larger file: the gzip stage works in MiB-sized chunks, and each read
 * is a buffer the collector must take back, so fewer, bigger ones cost the main thread less.
 */
const READ_CHUNK = 1 << 20;

function sizeChanged(header: TarHeader): KilnError {
  return new KilnError('CONFLICT', `"${header.name}" changed size while its layer was written`, {
    hint: 'nothing may write to a snapshot or a build context while its layer is written',
  });
}

/** Exactly `header.size` bytes of `source`: a file that grew meanwhile is cut there. */
function readSmall(source: string, header: TarHeader): Buffer {
  const content = Buffer.allocUnsafe(header.size);
  if (header.size === 0) return content;
  const fd = openSync(source, 'r');
  try {
    let read = 0;
    for (let n = -1; read < header.size && n !== 0; read += n) n = readSync(fd, content, read, header.size - read, null);
    if (read !== header.size) throw sizeChanged(header);
  } finally {
    closeSync(fd);
  }
  return content;
}

function deviceNumbers(rdev: bigint): { devmajor: number; devminor: number } {
  // Linux's encoding of dev_t, read as glibc's major() and minor() read it.
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & 0xfff00n);
  return { devmajor: Number(major), devminor: Number(minor) };
}

/** The entry type of a node; undefined for a socket, which no tar can hold (tar tools skip them too). */
function typeOf(stats: BigIntStats): TarHeader['type'] | undefined {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isCharacterDevice()) return 'character-device';
  if (stats.isBlockDevice()) return 'block-device';
  if (stats.isFIFO()) return 'fifo';
  return undefined;
}

export class LayerTarWriter {
  /** First path written for each multiply-linked inode: later ones become hard links to it. */
  private readonly inodes = new Map<string, string>();
  /** Entries written, end marker aside: 0 means an empty changeset. */
  entries = 0;

  /** `clampMtime`: mtimes later than it are written as it (BuildKit's rewrite-timestamp). */
  constructor(private readonly out: Writable, private readonly clampMtime: Date | undefined) {}

  /** A whiteout: `.wh.<name>` deletes `<name>` from the layers below. */
  async whiteout(path: string): Promise<void> {
    const slash = path.lastIndexOf('/');
    await this.marker(`${path.slice(0, slash + 1)}${whiteoutPrefix}${path.slice(slash + 1)}`);
  }

  /** The opaque marker: the layers below contribute nothing to directory `dir`. */
  async opaque(dir: string): Promise<void> {
    await this.marker(`${dir}/${opaqueMarker}`);
  }

  async node(entry: NodeEntry): Promise<void> {
    const { stats } = entry;
    const type = typeOf(stats);
    if (type === undefined) return;
    const header: TarHeader = {
      name: entry.path, type, mode: Number(stats.mode), uid: Number(stats.uid), gid: Number(stats.gid), size: 0,
      mtime: this.seconds(Number(stats.mtimeMs)), xattrs: entry.xattrs,
    };
    const inode = `${stats.dev}:${stats.ino}`;
    const linked = type !== 'directory' && stats.nlink > 1n;
    const first = linked ? this.inodes.get(inode) : undefined;
    if (first !== undefined) {
      await this.add({ ...header, type: 'link', linkname: first });
      return;
    }
    if (linked) this.inodes.set(inode, entry.path);
    if (type === 'file') await this.add({ ...header, size: Number(stats.size) }, entry.source);
    else if (type === 'directory') await this.add({ ...header, name: `${entry.path}/` });
    else if (type === 'symlink') await this.add({ ...header, linkname: entry.linkTarget ?? '' });
    else if (type === 'fifo') await this.add(header);
    else await this.add({ ...header, ...deviceNumbers(stats.rdev) });
  }

  async described(entry: DescribedEntry): Promise<void> {
    const header: TarHeader = {
      name: entry.type === 'directory' ? `${entry.path}/` : entry.path, type: entry.type, mode: entry.mode & 0o7777,
      uid: entry.uid, gid: entry.gid, size: entry.type === 'file' ? entry.size ?? 0 : 0, mtime: this.seconds(entry.mtimeMs),
      xattrs: entry.xattrs ?? [], ...(entry.type === 'symlink' ? { linkname: entry.linkTarget ?? '' } : {}),
    };
    await this.add(header, entry.type === 'file' ? entry.source : undefined);
  }

  /** Ends the archive and `out`, and waits until `out` has taken every byte. */
  async close(): Promise<void> {
    await this.push(endOfArchive);
    await new Promise<void>((resolve, reject) => {
      this.out.once('error', reject);
      this.out.end(() => resolve());
    });
  }

  abort(err: Error): void {
    this.out.destroy(err);
  }

  private seconds(ms: number): number {
    const clamped = this.clampMtime !== undefined && ms > this.clampMtime.getTime() ? this.clampMtime.getTime() : ms;
    return Math.floor(clamped / 1000);
  }

  private async marker(name: string): Promise<void> {
    await this.add({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: this.seconds(0) });
  }

  private async add(header: TarHeader, source?: string): Promise<void> {
    if (source !== undefined && header.size <= SMALL_FILE) {
      await this.push(Buffer.concat([encodeHeader(header), readSmall(source, header), contentPadding(header.size)]));
    } else {
      await this.push(encodeHeader(header));
      if (source !== undefined) await this.copyContent(source, header);
    }
    this.entries += 1;
  }

  private async copyContent(source: string, header: TarHeader): Promise<void> {
    let copied = 0;
    // Exactly the size the header announced is read: a file that grew meanwhile is cut there.
    if (header.size > 0) {
      for await (const chunk of createReadStream(source, { end: header.size - 1, highWaterMark: READ_CHUNK })) {
        copied += (chunk as Buffer).length;
        await this.push(chunk as Buffer);
      }
    }
    if (copied !== header.size) throw sizeChanged(header);
    await this.push(contentPadding(header.size));
  }

  /** Writes to `out`, waiting for it to drain when its buffer is full. */
  private async push(chunk: Buffer): Promise<void> {
    if (this.out.destroyed) throw new KilnError('CANCELED', 'the layer stream was closed before the diff was written');
    if (chunk.length === 0 || this.out.write(chunk)) return;
    await new Promise<void>((resolve, reject) => {
      const settle = (err?: Error): void => {
        this.out.off('drain', onDrain).off('error', settle).off('close', onClose);
        if (err === undefined) resolve();
        else reject(err);
      };
      const onDrain = (): void => settle();
      const onClose = (): void => settle(new KilnError('CANCELED', 'the layer stream was closed before the diff was written'));
      this.out.on('drain', onDrain).on('error', settle).on('close', onClose);
    });
  }
}
