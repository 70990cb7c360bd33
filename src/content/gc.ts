// Garbage collection of the content store, mark and sweep as in containerd: every image
// record is a root, everything reachable from the roots is live, and committed blobs that are
// neither live nor young are deleted. Failing is always preferred to guessing: a corrupt
// record or a live manifest that cannot be read stops GC before anything is deleted.
import { KilnError, isKilnError } from '../util/errors.js';
import type { Descriptor } from '../image/types.js';
import { parseDigest, type Digest } from './digest.js';
import { referencedBlobs } from './gc-mark.js';
import type { ImageStore } from './images.js';
import type { LocalContentStore } from './store.js';
import type { BlobInfo } from './types.js';

export { referencedBlobs } from './gc-mark.js';

export interface GcOptions {
  /** Extra roots besides every image record (cache records later). */
  roots?: Descriptor[];
  /** Only these blobs may be deleted (e.g. the blobs of an image just removed); default all. */
  candidates?: Iterable<Digest>;
  /**
   * Blobs committed less than this long ago are kept: a concurrent pull or build may have
   * written them and not yet recorded the image that references them. Default 10 minutes.
   */
  gracePeriodMs?: number;
  /** Report what would be deleted without deleting it. */
  dryRun?: boolean;
}

export interface GcResult {
  /** The blobs deleted (or, in a dry run, that would be), in walk order. */
  deleted: BlobInfo[];
  reclaimedBytes: number;
  /** Blobs left in place: live, not candidates, or inside the grace period. */
  kept: number;
}

export const defaultGracePeriodMs = 10 * 60 * 1000;

export async function collectGarbage(store: LocalContentStore, images: ImageStore, options: GcOptions = {}): Promise<GcResult> {
  const gracePeriodMs = options.gracePeriodMs ?? defaultGracePeriodMs;
  if (!(Number.isFinite(gracePeriodMs) && gracePeriodMs >= 0)) {
    throw new KilnError('INVALID_ARGUMENT', `invalid GC grace period ${gracePeriodMs}: it must be a non-negative number of milliseconds`);
  }
  const candidates = options.candidates === undefined ? undefined : new Set([...options.candidates].map(parseDigest));
  // Age is measured against the start, so nothing committed while GC runs can look old.
  const cutoff = Date.now() - gracePeriodMs;
  const live = await markLive(store, images, options.roots ?? []);

  const result: GcResult = { deleted: [], reclaimedBytes: 0, kept: 0 };
  // walk() lists committed blobs only: ingests in flight live elsewhere and are never touched.
  await store.walk(async (info) => {
    const collectable = !live.has(info.digest)
      && (candidates === undefined || candidates.has(info.digest))
      && info.createdAt.getTime() <= cutoff;
    if (!collectable) {
      result.kept += 1;
      return;
    }
    if (options.dryRun !== true && !(await deleteIfPresent(store, info.digest))) return;
    result.deleted.push(info);
    result.reclaimedBytes += info.size;
  });
  return result;
}

/**
 * The live set: image records plus the extra roots. Any error here (a corrupt record, a live
 * manifest we cannot read) means the live set is incomplete, so it is passed on and the sweep
 * never starts.
 */
async function markLive(store: LocalContentStore, images: ImageStore, extraRoots: Descriptor[]): Promise<Set<Digest>> {
  try {
    const records = await images.list();
    return await referencedBlobs(store, [...records.map((record) => record.target), ...extraRoots]);
  } catch (err) {
    if (!isKilnError(err)) throw err;
    throw new KilnError(err.code, `garbage collection stopped before deleting anything: ${err.message}`, {
      hint: err.hint,
      details: err.details,
      cause: err,
    });
  }
}

/** False when another process (or a concurrent GC) deleted the blob since the walk saw it. */
async function deleteIfPresent(store: LocalContentStore, digest: Digest): Promise<boolean> {
  try {
    await store.delete(digest);
    return true;
  } catch (err) {
    if (isKilnError(err) && err.code === 'NOT_FOUND') return false;
    throw err;
  }
}
