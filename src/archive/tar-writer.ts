// A tar written entry by entry into a caller's stream with tar-stream. Headers are pinned
// (mtime 0, root owner, fixed modes) so the same content always makes the same archive. A
// failure inside one entry breaks the whole archive: a tar cannot take back bytes already
// sent, so the writer is destroyed and every later call rejects with that first error.
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack, type Header, type Pack } from 'tar-stream';

const fixed = { mtime: new Date(0), uid: 0, gid: 0, uname: '', gname: '' } as const;

export class TarWriter {
  private readonly packer: Pack = pack();
  private readonly flushed: Promise<void>;
  private failure: Error | undefined;

  constructor(out: Writable) {
    this.flushed = pipeline(this.packer, out);
    this.flushed.catch((err: unknown) => this.fail(err));
  }

  async directory(name: string): Promise<void> {
    await this.add({ name, type: 'directory', mode: 0o755 }, Buffer.alloc(0));
  }

  async file(name: string, data: Uint8Array | string): Promise<void> {
    const bytes = Buffer.from(data);
    await this.add({ name, type: 'file', mode: 0o644, size: bytes.byteLength }, bytes);
  }

  /** Streams `size` bytes into one entry; tar-stream rejects a stream of any other length. */
  async stream(name: string, size: number, content: Readable): Promise<void> {
    this.assertIntact();
    const sink = this.packer.entry({ ...fixed, name, type: 'file', mode: 0o644, size });
    try {
      await pipeline(content, sink);
    } catch (err) {
      throw this.fail(err);
    }
  }

  /** Ends the tar (two zero blocks) and waits until `out` has taken every byte. */
  async close(): Promise<void> {
    this.assertIntact();
    this.packer.finalize();
    await this.flushed;
    this.assertIntact();
  }

  /** Aborts the archive: `out` is destroyed and sees the error. */
  abort(err: Error): void {
    this.fail(err);
  }

  private async add(header: Partial<Header> & Pick<Header, 'name'>, data: Buffer): Promise<void> {
    this.assertIntact();
    await new Promise<void>((resolve, reject) => {
      this.packer.entry({ ...fixed, ...header }, data, (err) => (err ? reject(this.fail(err)) : resolve()));
    });
  }

  private fail(err: unknown): Error {
    this.failure ??= err instanceof Error ? err : new Error(String(err));
    this.packer.destroy(this.failure);
    return this.failure;
  }

  /** Throws the error that broke the archive, if one did. */
  assertIntact(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
