// A writer streams one blob into its ingest file, hashing as it goes, and on commit checks
// what it got against what the caller expected before the blob becomes visible under its
// digest. Visibility is a single rename, so readers see either nothing or the whole blob.
import type { Hash } from 'node:crypto';
import { open, rename, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KilnError } from '../util/errors.js';
import { digestOf, newDigester, type Digest } from './digest.js';
import { acquireIngest, releaseIngest, type IngestPaths } from './ingest.js';
import type { BlobRef, ContentWriter, IngestStatus } from './types.js';
import { syncDirectory } from '../util/atomic-file.js';

export interface WriterTarget {
  ref: string;
  paths: IngestPaths;
  expected: Partial<BlobRef>;
  /** Where the committed blob of a digest lives. */
  blobPath(digest: Digest): string;
}

export class LocalContentWriter implements ContentWriter {
  private offset = 0;
  private readonly hash: Hash = newDigester();
  private readonly startedAt = new Date();
  // Writes run one after another so the hash sees chunks in file order even when a caller
  // does not await each write; a failed write fails every later one.
  private pending: Promise<void> = Promise.resolve();
  private done = false;

  private constructor(
    private readonly target: WriterTarget,
    private readonly file: FileHandle,
  ) {}

  static async open(target: WriterTarget): Promise<LocalContentWriter> {
    await acquireIngest(target.paths, target.ref);
    try {
      return new LocalContentWriter(target, await open(target.paths.data, 'w'));
    } catch (err) {
      await releaseIngest(target.paths);
      throw err;
    }
  }

  /** The chunk must stay unchanged until the returned promise settles. */
  async write(chunk: Uint8Array): Promise<void> {
    this.assertOpen();
    this.pending = this.pending.then(() => this.append(chunk));
    return this.pending;
  }

  status(): IngestStatus {
    const status: IngestStatus = { ref: this.target.ref, offset: this.offset, startedAt: this.startedAt };
    if (this.target.expected.size !== undefined) status.total = this.target.expected.size;
    return status;
  }

  /**
   * Verifies size and digest (the arguments here and those given to `writer()` must all
   * hold), makes the data durable, then publishes it. Content that already exists is not an
   * error: the caller gets the descriptor and the duplicate ingest is dropped.
   */
  async commit(size?: number, expected?: Digest): Promise<BlobRef> {
    this.assertOpen();
    this.done = true;
    try {
      await this.pending;
      const actual: BlobRef = { digest: digestOf(this.hash), size: this.offset };
      this.verify(actual, size, expected);
      await this.file.sync();
      await this.publish(actual.digest);
      return actual;
    } finally {
      await this.file.close().catch(() => undefined);
      await releaseIngest(this.target.paths);
    }
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.pending.catch(() => undefined);
    await this.file.close().catch(() => undefined);
    await releaseIngest(this.target.paths);
  }

  private async append(chunk: Uint8Array): Promise<void> {
    let written = 0;
    while (written < chunk.byteLength) {
      const res = await this.file.write(chunk, written, chunk.byteLength - written, this.offset + written);
      written += res.bytesWritten;
    }
    this.hash.update(chunk);
    this.offset += chunk.byteLength;
  }

  private verify(actual: BlobRef, size: number | undefined, digest: Digest | undefined): void {
    const { ref, expected } = this.target;
    for (const want of [size, expected.size]) {
      if (want !== undefined && want !== actual.size) {
        throw new KilnError('FAILED_PRECONDITION', `content for ref ${JSON.stringify(ref)} has the wrong size: expected ${want} bytes, got ${actual.size}`, {
          hint: 'the source sent a truncated or oversized blob; retry the transfer',
        });
      }
    }
    for (const want of [digest, expected.digest]) {
      if (want !== undefined && want !== actual.digest) {
        throw new KilnError('FAILED_PRECONDITION', `content for ref ${JSON.stringify(ref)} has the wrong digest: expected ${want}, got ${actual.digest}`, {
          hint: 'the source sent different bytes than its descriptor names; retry the transfer or check the source',
        });
      }
    }
  }

  private async publish(digest: Digest): Promise<void> {
    const blob = this.target.blobPath(digest);
    if (await exists(blob)) return;
    // rename(2) replaces atomically, so a racing commit of the same content is harmless.
    await rename(this.target.paths.data, blob);
    await syncDirectory(dirname(blob));
  }

  private assertOpen(): void {
    if (this.done) {
      throw new KilnError('FAILED_PRECONDITION', `writer for ref ${JSON.stringify(this.target.ref)} is already committed or aborted`);
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
