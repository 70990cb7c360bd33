// gzip for layers, compressed in parallel on the worker pool: the stream is cut into 4 MiB
// chunks (each hand-off to a worker has a fixed cost on the event loop, so few big ones), each
// deflated on its own by a worker (deflate-chunk.ts), and the results are written in order
// between a gzip header and trailer. The trailer's CRC-32 is put together from each chunk's,
// which its worker takes (crc32-combine.ts); its length is counted here. The output depends
// only on the input and the level, so a reproducible build stays reproducible; it differs from
// single-stream gzip's bytes, which nothing compares against (a layer's digest is whatever its
// blob's bytes hash to).
//
// Read-ahead is bounded (a few chunks per worker), so a layer is never held in memory.
import { Transform, type TransformCallback } from 'node:stream';
import { runOnWorker, workerThreads } from '../workers/index.js';
import { combineCrc32 } from './crc32-combine.js';
import { deflateChunk, incompressibleThroughout, storedBlocks, type DeflatedChunk, type DeflateTask } from './deflate-chunk.js';

const CHUNK = 4 << 20;
/**
 * A chunk this small (a small layer's whole tar, a large one's tail) is deflated here: that
 * takes well under a millisecond, and the trip to a worker and back costs more.
 */
const INLINE = 32 << 10;
/** Chunks compressing or compressed but not yet written, at most. */
const IN_FLIGHT = Math.max(4, 2 * workerThreads);
/** gzip's header with no name, no mtime (0, as Go's writer leaves it), OS unix. */
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]);

export class ParallelGzip extends Transform {
  private chunk = Buffer.allocUnsafeSlow(CHUNK);
  private filled = 0;
  private crc = 0;
  private length = 0;
  private readonly pending: Array<{ deflated: Promise<DeflatedChunk>; length: number }> = [];
  private headerWritten = false;

  constructor(private readonly level: number) {
    super();
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.accept(data).then(() => done(), done);
  }

  override _flush(done: TransformCallback): void {
    this.finish().then(() => done(), done);
  }

  private async accept(data: Buffer): Promise<void> {
    this.length = (this.length + data.length) >>> 0;
    let at = 0;
    while (at < data.length) {
      const copied = data.copy(this.chunk, this.filled, at);
      this.filled += copied;
      at += copied;
      if (this.filled === CHUNK) await this.submit(false);
    }
  }

  /** Hands the filled chunk to a worker, first writing out the oldest when too many wait. */
  private async submit(final: boolean): Promise<void> {
    if (this.pending.length >= IN_FLIGHT) await this.writeOldest();
    const data = this.chunk.subarray(0, this.filled);
    const length = data.length;
    this.filled = 0;
    if (this.level === 0 || incompressibleThroughout(data)) {
      // Framed into a copy here: the chunk's buffer is free for the next one.
      this.pending.push({ deflated: Promise.resolve(storedBlocks(data, final)), length });
      return;
    }
    if (length <= INLINE) {
      this.pending.push({ deflated: Promise.resolve(deflateChunk({ data, level: this.level, final })), length });
      return;
    }
    // A chunk-sized Buffer has an ArrayBuffer of its own (larger ones never come from the
    // shared pool), so it can be moved to the worker rather than copied; a new one follows.
    const deflated = runOnWorker<DeflateTask, DeflatedChunk>('deflateChunk', { data, level: this.level, final }, 'compressing a layer', [data.buffer as ArrayBuffer]);
    // Awaited in order, later: a chunk failing while an earlier one is awaited must not count
    // as unhandled (which would end the daemon); its turn still throws.
    deflated.catch(() => undefined);
    this.pending.push({ deflated, length });
    this.chunk = Buffer.allocUnsafeSlow(CHUNK);
  }

  private async writeOldest(): Promise<void> {
    const oldest = this.pending.shift();
    if (oldest === undefined) return;
    if (!this.headerWritten) {
      this.push(HEADER);
      this.headerWritten = true;
    }
    const { deflated, crc } = await oldest.deflated;
    this.crc = combineCrc32(this.crc, crc, oldest.length);
    this.push(deflated);
  }

  private async finish(): Promise<void> {
    // The last chunk, even an empty one, carries the final block.
    await this.submit(true);
    while (this.pending.length > 0) await this.writeOldest();
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.crc >>> 0, 0);
    trailer.writeUInt32LE(this.length, 4);
    this.push(trailer);
  }

  override _destroy(err: Error | null, done: (error: Error | null) => void): void {
    // Chunks still on workers finish there; their results are dropped.
    for (const task of this.pending.splice(0)) task.deflated.catch(() => undefined);
    done(err);
  }
}
