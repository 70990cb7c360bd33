// The local content store: `<root>/content/blobs/sha256/<hex>` for committed blobs and
// `<root>/content/ingest/` for writes in flight. Blobs are immutable once renamed into place;
// everything that can be half-done lives under ingest/ and is thrown away after a crash.
import { mkdir, open, readdir, stat, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, pipeline } from 'node:stream';
import { KilnError } from '../util/errors.js';
import { digestBytes, digestHex, isDigest, parseDigest, type Digest } from './digest.js';
import { ingestPaths, removeStaleIngests } from './ingest.js';
import type { BlobInfo, BlobRef, ByteRange, ContentStore, ContentWriter } from './types.js';
import { corrupted, verifyingStream } from './verify.js';
import { LocalContentWriter } from './writer.js';

export class LocalContentStore implements ContentStore {
  private readonly blobRoot: string;
  private readonly ingestRoot: string;

  constructor(root: string) {
    this.blobRoot = join(root, 'content', 'blobs', 'sha256');
    this.ingestRoot = join(root, 'content', 'ingest');
  }

  async info(digest: Digest): Promise<BlobInfo | undefined> {
    try {
      const st = await stat(this.blobPath(parseDigest(digest)));
      return { digest, size: st.size, createdAt: st.mtime };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  /**
   * `info` for a blob that is about to be referenced again (a pull or load finding it present):
   * its mtime is refreshed so that a garbage collection running meanwhile counts it as young
   * and keeps it through its grace period, until the image naming it is recorded.
   */
  async reuse(digest: Digest): Promise<BlobInfo | undefined> {
    const now = new Date();
    try {
      await utimes(this.blobPath(parseDigest(digest)), now, now);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    return this.info(digest);
  }

  /**
   * A full read is verified against the digest and size while it streams. A ranged read
   * cannot be: the digest covers the whole blob, so only the blob's size and the range bounds
   * are checked. Callers that need trusted bytes read the whole blob.
   */
  async read(desc: BlobRef, range?: ByteRange): Promise<Readable> {
    const file = await this.openBlob(parseDigest(desc.digest));
    try {
      if (range === undefined) return pipeline(file.createReadStream(), verifyingStream(desc), () => undefined);
      return await readRange(file, desc, range);
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  /**
   * A whole small blob (a manifest, an index, a config), verified at once: what the verifying
   * stream checks, without a stream's set-up, which `kiln run` would pay on every start.
   * The caller bounds the size, before anything is read.
   */
  async readSmall(desc: BlobRef): Promise<Buffer> {
    const file = await this.openBlob(parseDigest(desc.digest));
    let bytes: Buffer;
    try {
      bytes = await file.readFile();
    } finally {
      await file.close();
    }
    if (bytes.byteLength !== desc.size) throw corrupted(desc, `${bytes.byteLength} bytes, not the ${desc.size} recorded`);
    if (digestBytes(bytes) !== desc.digest) throw corrupted(desc, 'other content than its digest');
    return bytes;
  }

  async writer(ref: string, expected: Partial<BlobRef> = {}): Promise<ContentWriter> {
    if (ref === '') throw new KilnError('INVALID_ARGUMENT', 'an ingest ref must not be empty');
    if (expected.digest !== undefined) parseDigest(expected.digest);
    if (expected.size !== undefined && !(Number.isSafeInteger(expected.size) && expected.size >= 0)) {
      throw new KilnError('INVALID_ARGUMENT', `invalid expected size ${expected.size} for ref ${JSON.stringify(ref)}`);
    }
    await mkdir(this.blobRoot, { recursive: true });
    await mkdir(this.ingestRoot, { recursive: true });
    return LocalContentWriter.open({
      ref,
      paths: ingestPaths(this.ingestRoot, ref),
      expected,
      blobPath: (digest) => this.blobPath(digest),
    });
  }

  async delete(digest: Digest): Promise<void> {
    try {
      await unlink(this.blobPath(parseDigest(digest)));
    } catch (err) {
      if (isMissing(err)) throw notFound(digest);
      throw err;
    }
  }

  async walk(visit: (info: BlobInfo) => void | Promise<void>): Promise<void> {
    for (const name of await readdir(this.blobRoot).catch(emptyIfMissing)) {
      const digest = `sha256:${name}`;
      if (!isDigest(digest)) continue;
      // A blob deleted while we walk is simply no longer there.
      const info = await this.info(digest);
      if (info !== undefined) await visit(info);
    }
  }

  /**
   * Removes ingests left behind by writers that died (kill -9, crash, power cut). The daemon
   * calls it at startup; live writers' ingests are kept, so calling it later is safe too.
   * Returns how many ingests were removed.
   */
  async cleanupIngests(): Promise<number> {
    return (await removeStaleIngests(this.ingestRoot)).length;
  }

  private blobPath(digest: Digest): string {
    return join(this.blobRoot, digestHex(digest));
  }

  private async openBlob(digest: Digest): Promise<FileHandle> {
    try {
      return await open(this.blobPath(digest), 'r');
    } catch (err) {
      if (isMissing(err)) throw notFound(digest);
      throw err;
    }
  }
}

async function readRange(file: FileHandle, desc: BlobRef, range: ByteRange): Promise<Readable> {
  const end = range.end ?? desc.size;
  if (!(Number.isSafeInteger(range.start) && Number.isSafeInteger(end) && range.start >= 0 && range.start <= end && end <= desc.size)) {
    throw new KilnError('INVALID_ARGUMENT', `range ${range.start}-${range.end ?? ''} is outside blob ${desc.digest} of ${desc.size} bytes`);
  }
  const { size } = await file.stat();
  if (size !== desc.size) throw corrupted(desc, `${size} bytes instead of ${desc.size}`);
  if (range.start === end) {
    await file.close();
    return Readable.from([]);
  }
  // createReadStream's `end` is inclusive; ours is exclusive.
  return file.createReadStream({ start: range.start, end: end - 1 });
}

function notFound(digest: Digest): KilnError {
  return new KilnError('NOT_FOUND', `blob ${digest} not found in the content store`);
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

function emptyIfMissing(err: unknown): string[] {
  if (isMissing(err)) return [];
  throw err;
}
