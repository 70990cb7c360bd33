// Writing a Docker API build context's tar entries into its directory. The tar comes from a
// client: nothing in it may reach outside that directory. Absolute names, a `..` above the root
// and an entry through a symlink that points outside are refused (docker-build-paths.ts), and
// so are device nodes and fifos; every file is created with O_EXCL|O_NOFOLLOW below parents
// that this code made itself, so no fs call follows a symlink the tar planted. Modes, owners,
// mtimes, symlinks and hard links are kept as the tar has them: kiln's context keys and COPY
// use them.
//
// Small files are read whole and written in the background, a bounded number at a time, while
// the tar goes on: the write of a context of many small files is not one round trip per file.
import { constants } from 'node:fs';
import { chmod, lchown, link, lutimes, mkdir, open, rm, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Extract, Header } from 'tar-stream';
import { badContext, ContextPaths, type NodeType } from './docker-build-paths.js';

/** Files up to this size are read whole and written in the background. */
const inlineFileBytes = 1 << 20;
const maxWritesInFlight = 16;
/** Bytes of file content held in memory at most while their writes are pending. */
const maxBufferedBytes = 32 << 20;

/** One entry: its header, and a stream of its bytes that must be read before the next. */
export type Entry = Extract extends AsyncIterable<infer E> ? E : never;

function nodeTypeOf(header: Header): NodeType {
  switch (header.type) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
      return 'dir';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'link';
    default:
      return refuseType(header);
  }
}

function refuseType(header: Header): never {
  const what = header.type === 'character-device' || header.type === 'block-device' ? 'a device node' : `of type ${String(header.type)}`;
  throw badContext(`"${header.name}" is ${what}; a build context holds files, directories and links only`);
}

/** The entry's mtime: PAX's, with its fraction, when the tar has one. */
function mtimeOf(header: Header): Date {
  const pax = Number.parseFloat((header.pax as Record<string, string> | null | undefined)?.['mtime'] ?? '');
  return Number.isFinite(pax) ? new Date(pax * 1000) : header.mtime;
}

/** Writes entries into the context directory: parents first, files in the background. */
export class ContextWriter {
  entries = 0;
  bytes = 0;
  readonly #paths = new ContextPaths();
  readonly #pending = new Set<Promise<void>>();
  #bufferedBytes = 0;
  #failure: unknown;
  /** Directory metadata is set last: writing their children would change their mtimes again. */
  readonly #directories = new Map<string, Header>();
  readonly #chown = process.getuid?.() === 0;

  constructor(readonly dir: string) {}

  async add(entry: Entry): Promise<void> {
    this.#throwIfFailed();
    const { header } = entry;
    if (header.name.startsWith('/')) throw badContext(`"${header.name}" is an absolute path`);
    const type = nodeTypeOf(header);
    const components = this.#paths.resolve(header.name);
    this.entries++;
    if (components.length === 0) {
      if (type !== 'dir') throw badContext(`"${header.name}" names the context's root but is not a directory`);
      this.#directories.set('', header);
      entry.resume();
      return;
    }
    const path = join(this.dir, ...components);
    await this.#makeRoom(components, type);
    if (type === 'file') await this.#file(entry, path, components);
    else {
      entry.resume();
      if (type === 'dir') await this.#directory(path, components, header);
      else if (type === 'symlink') await this.#symlink(path, components, header);
      else await this.#hardLink(path, components, header);
    }
  }

  /** Waits for the background writes and sets the directories' metadata, deepest first. */
  async finish(): Promise<void> {
    await this.settle();
    this.#throwIfFailed();
    const dirs = [...this.#directories].sort(([a], [b]) => b.split('/').length - a.split('/').length);
    for (const [rel, header] of dirs) await this.#metadata(rel === '' ? this.dir : join(this.dir, rel), header, false);
  }

  /** Waits until no write is under way, whatever their outcome. */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** Parents made, and whatever the tar put at this path before removed (a later entry wins). */
  async #makeRoom(components: string[], type: NodeType): Promise<void> {
    const missing = this.#paths.missingParents(components);
    if (missing !== undefined) {
      await mkdir(join(this.dir, ...missing), { recursive: true, mode: 0o755 });
      this.#paths.addParents(components);
    }
    const existing = this.#paths.typeOf(components);
    if (existing === undefined || (existing === 'dir' && type === 'dir')) return;
    await this.settle();
    await rm(join(this.dir, ...components), { recursive: true, force: true });
    this.#paths.remove(components);
    const key = components.join('/');
    for (const dir of this.#directories.keys()) if (dir === key || dir.startsWith(`${key}/`)) this.#directories.delete(dir);
  }

  async #file(entry: Entry, path: string, components: string[]): Promise<void> {
    const size = entry.header.size;
    this.#paths.add(components, 'file');
    this.bytes += size;
    if (size > inlineFileBytes) {
      await this.#writeFile(path, entry as AsyncIterable<Buffer>, entry.header);
      return;
    }
    while (this.#pending.size >= maxWritesInFlight || (this.#bufferedBytes + size > maxBufferedBytes && this.#pending.size > 0)) {
      await Promise.race(this.#pending);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of entry as AsyncIterable<Buffer>) chunks.push(chunk);
    this.#bufferedBytes += size;
    const write = this.#writeFile(path, chunks, entry.header)
      .catch((err: unknown) => {
        this.#failure ??= err;
      })
      .finally(() => {
        this.#bufferedBytes -= size;
        this.#pending.delete(write);
      });
    this.#pending.add(write);
  }

  async #writeFile(path: string, content: AsyncIterable<Buffer> | Buffer[], header: Header): Promise<void> {
    const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      for await (const chunk of content) await handle.write(chunk);
      // chown first: it clears setuid and setgid bits.
      if (this.#chown) await handle.chown(header.uid, header.gid);
      await handle.chmod(header.mode & 0o7777);
      const mtime = mtimeOf(header);
      await handle.utimes(mtime, mtime);
    } finally {
      await handle.close();
    }
  }

  async #directory(path: string, components: string[], header: Header): Promise<void> {
    if (this.#paths.typeOf(components) !== 'dir') {
      await mkdir(path, { mode: 0o755 });
      this.#paths.add(components, 'dir');
    }
    this.#directories.set(components.join('/'), header);
  }

  async #symlink(path: string, components: string[], header: Header): Promise<void> {
    const target = header.linkname;
    if (target === '') throw badContext(`symlink "${header.name}" has no target`);
    await symlink(target, path);
    this.#paths.add(components, 'symlink', target);
    await this.#metadata(path, header, true);
  }

  async #hardLink(path: string, components: string[], header: Header): Promise<void> {
    const name = header.linkname;
    if (name.startsWith('/')) throw badContext(`hard link "${header.name}" points at the absolute path "${name}"`);
    const target = this.#paths.resolve(name);
    const type = this.#paths.typeOf(target);
    if (type !== 'file' && type !== 'symlink') throw badContext(`hard link "${header.name}" points at "${name}", which is not a file earlier in the context`);
    // Its target may still be being written.
    await this.settle();
    this.#throwIfFailed();
    await link(join(this.dir, ...target), path);
    this.#paths.add(components, type, this.#paths.symlinkTarget(target));
  }

  async #metadata(path: string, header: Header, symbolic: boolean): Promise<void> {
    if (this.#chown) await lchown(path, header.uid, header.gid);
    const mtime = mtimeOf(header);
    if (symbolic) {
      await lutimes(path, mtime, mtime);
      return;
    }
    await chmod(path, header.mode & 0o7777);
    await utimes(path, mtime, mtime);
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }
}
