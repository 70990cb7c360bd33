// A layer tar into the content store as a gzip blob, in one pass: the tar's bytes are hashed
// for the diffID (sha256 of the uncompressed tar, which the image config lists) on their way
// into gzip, and the writer hashes the compressed bytes for the blob's digest. Compression
// runs chunk by chunk on the worker pool (parallel-gzip.ts), so a large layer uses every core
// and the event loop stays free while it streams.
import { randomBytes } from 'node:crypto';
import { PassThrough, Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants } from 'node:zlib';
import { digestOf, newDigester, type ContentStore, type ContentWriter, type Digest } from '../content/index.js';
import { MediaTypes, type Descriptor } from '../image/index.js';
import type { OverlaySnapshotter } from '../snapshot/index.js';
import { KilnError } from '../util/errors.js';
import { writeSnapshotDiff, type DiffOptions } from './diff.js';
import { ParallelGzip } from './parallel-gzip.js';

export interface LayerOptions {
  /** zlib level, 0-9; default zlib's own (6), as Go's gzip writer that BuildKit uses. */
  compressionLevel?: number;
  signal?: AbortSignal;
}

export interface WrittenLayer {
  /** The gzip blob, `application/vnd.oci.image.layer.v1.tar+gzip`. */
  descriptor: Descriptor;
  /** sha256 of the uncompressed tar: the image config's rootfs.diff_ids entry. */
  diffId: Digest;
  /** Bytes of the uncompressed tar. */
  uncompressedSize: number;
  /**
   * The tar holds no entries: a step that changed nothing. The blob is still a valid layer,
   * but an image leaves it out and marks the step's history entry `empty_layer`, as BuildKit does.
   */
  empty: boolean;
}

/**
 * Passes bytes through unchanged, hashing and counting them. A tar without entries is zero
 * blocks only (its end marker, padded to any record size), while every entry's header has
 * non-zero bytes, so the first of those tells an empty layer from one with changes.
 */
class DiffIdHasher extends Transform {
  readonly hash = newDigester();
  bytes = 0;
  hasEntries = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.hasEntries ||= chunk.some((byte) => byte !== 0);
    done(null, chunk);
  }
}

/** Compresses `tar` into the content store; resolves once the blob is committed. */
export async function writeLayer(content: ContentStore, tar: Readable, options: LayerOptions = {}): Promise<WrittenLayer> {
  const level = options.compressionLevel ?? zlibConstants.Z_DEFAULT_COMPRESSION;
  let writer: ContentWriter;
  try {
    if (!Number.isInteger(level) || level < -1 || level > 9) {
      throw new KilnError('INVALID_ARGUMENT', `compression level ${level} is not one of 0-9`);
    }
    writer = await content.writer(`layer-${randomBytes(8).toString('hex')}`);
  } catch (err) {
    // Whoever fills the tar must learn that nobody will read it.
    tar.destroy();
    throw err;
  }
  const hasher = new DiffIdHasher();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writer.write(chunk).then(() => done(), done);
    },
  });
  try {
    const gzip = new ParallelGzip(level === zlibConstants.Z_DEFAULT_COMPRESSION ? 6 : level);
    await pipeline([tar, hasher, gzip, sink], options.signal === undefined ? {} : { signal: options.signal });
    const blob = await writer.commit();
    return {
      descriptor: { mediaType: MediaTypes.ociLayerGzip, digest: blob.digest, size: blob.size },
      diffId: digestOf(hasher.hash),
      uncompressedSize: hasher.bytes,
      empty: !hasher.hasEntries,
    };
  } catch (err) {
    await writer.abort();
    if (options.signal?.aborted === true) throw new KilnError('CANCELED', 'writing the layer was canceled', { cause: err });
    throw err;
  }
}

/**
 * A layer whose tar `fill` writes into the stream it is given (ending it, or destroying it
 * with its error), compressed into the content store as it is written.
 */
export async function writeLayerFrom(content: ContentStore, fill: (tar: PassThrough) => Promise<unknown>, options: LayerOptions = {}): Promise<WrittenLayer> {
  const tar = new PassThrough();
  // A fill that fails before the layer's pipeline is attached destroys the stream with its
  // error; both promises report it, so the stream's own 'error' event needs no one.
  tar.on('error', () => undefined);
  // Both settle before this returns, so whatever the fill reads is closed when a failure is
  // reported. The layer's error comes first: a failed fill destroys the stream with its own
  // error, which the layer then reports, while a failed layer leaves the fill only a closed
  // stream to report.
  const [filled, layer] = await Promise.allSettled([fill(tar), writeLayer(content, tar, options)]);
  if (layer.status === 'rejected') throw layer.reason;
  if (filled.status === 'rejected') throw filled.reason;
  return layer.value;
}

/**
 * The layer of snapshot `key` over its parent (diff.ts), written to the content store. With
 * `sourceDateEpoch`, equal changes give equal diffIDs and blob digests.
 */
export async function writeSnapshotLayer(
  content: ContentStore, snapshotter: OverlaySnapshotter, key: string, options: LayerOptions & DiffOptions = {},
): Promise<WrittenLayer> {
  return writeLayerFrom(content, (tar) => writeSnapshotDiff(snapshotter, key, tar, options), options);
}
