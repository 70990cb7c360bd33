// Moving one blob from a source to a target: verified while it streams, reported as it goes,
// and tried again from the start when the failure was transient (a dropped connection, a 503).
// Whole-blob retry is the one strategy every source and target supports: a streamed upload
// cannot be rewound, and a store's ingest is simply aborted and reopened.
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { verifyingStream } from '../content/verify.js';
import { KilnError, isKilnError } from '../util/errors.js';
import type { ImageSource, TransferEvent } from './transfer.js';
import type { Descriptor } from './types.js';

/** Manifests, indexes and configs are read whole; anything bigger is not such a document. */
export const maxDocumentSize = 4 * 1024 * 1024;

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
}

export const defaultRetry: RetryPolicy = { attempts: 4, baseDelayMs: 250 };

/**
 * Runs `attempt` until it succeeds, fails for good, or the attempts run out. Only UNAVAILABLE
 * errors are transient: a digest mismatch or a 401 will not go away by asking again.
 */
export async function withRetry<T>(
  desc: Descriptor,
  attempt: () => Promise<T>,
  options: { retry?: RetryPolicy; onEvent?: (e: TransferEvent) => void; signal?: AbortSignal },
): Promise<T> {
  const policy = options.retry ?? defaultRetry;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isTransient(err) || n >= policy.attempts || options.signal?.aborted === true) throw err;
      options.onEvent?.({ kind: 'retry', desc, attempt: n + 1, error: err as Error });
      const jitter = 0.5 + Math.random() / 2;
      await sleep(policy.baseDelayMs * 2 ** (n - 1) * jitter, undefined, { signal: options.signal });
    }
  }
}

function isTransient(err: unknown): boolean {
  return isKilnError(err) && err.code === 'UNAVAILABLE';
}

/**
 * The blob's bytes from the source, passed through a digest check and a progress counter. The
 * stream errors at its end when the bytes are not the descriptor's, so a target that commits
 * only on a clean end never keeps them.
 */
export async function fetchVerified(
  source: ImageSource,
  desc: Descriptor,
  onEvent?: (e: TransferEvent) => void,
  signal?: AbortSignal,
  targetVerifies = false,
): Promise<Readable> {
  const raw = await source.fetch(desc, signal);
  // A deep buffer keeps the source (a socket) flowing while the target waits on its disk.
  const verified = new PassThrough({ highWaterMark: 1 << 20 });
  const verifyHere = source.verifies !== true && !targetVerifies;
  const stages: NodeJS.ReadWriteStream[] = verifyHere ? [verifyingStream(desc, source.location)] : [];
  if (onEvent !== undefined) stages.push(progressCounter(desc, onEvent));
  pipeline([raw, ...stages, verified], signal === undefined ? {} : { signal }).catch((err: unknown) => {
    verified.destroy(asError(err, desc, source));
  });
  return verified;
}

/** A manifest, index or config read whole, after its digest and size are checked. */
export async function readDocument(source: ImageSource, desc: Descriptor, signal?: AbortSignal): Promise<Uint8Array> {
  if (desc.size > maxDocumentSize) {
    throw new KilnError('INVALID_ARGUMENT', `${desc.mediaType} ${desc.digest} from ${source.location} is ${desc.size} bytes, more than the ${maxDocumentSize} allowed for an image document`);
  }
  const chunks: Buffer[] = [];
  const stream = await fetchVerified(source, desc, undefined, signal);
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function progressCounter(desc: Descriptor, onEvent: (e: TransferEvent) => void): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.byteLength;
      onEvent({ kind: 'progress', desc, bytes });
      callback(null, chunk);
    },
  });
}

/** Names the source in errors that would otherwise only say "data corrupted" or "socket hang up". */
function asError(err: unknown, desc: Descriptor, source: ImageSource): Error {
  if (isKilnError(err)) return err;
  if ((err as Error).name === 'AbortError') return new KilnError('CANCELED', `copy of ${desc.digest} was canceled`);
  return new KilnError('UNAVAILABLE', `reading ${desc.digest} from ${source.location} failed: ${(err as Error).message}`, { cause: err });
}
