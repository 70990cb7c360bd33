// The one image walk behind pull, push, save, load and OCI layout import/export (see
// transfer.ts). Order is what makes every target consistent: a manifest is written only after
// its config and layers, an index only after its manifests, so a crash or an error at any
// point leaves the target with whole blobs and no document naming a missing one.
import { KilnError, isKilnError } from '../util/errors.js';
import { fetchVerified, readDocument, withRetry, type RetryPolicy } from './copy-blob.js';
import { isIndex, isManifest } from './mediatypes.js';
import { selectManifest, noMatchingManifestError } from './select.js';
import type { CopyOptions, CopyResult, ImageSource, ImageTarget } from './transfer.js';
import type { Descriptor, ImageIndex, ImageManifest } from './types.js';
import { parseIndex, parseManifest } from './validate.js';

export interface CopyImageOptions extends CopyOptions {
  retry?: RetryPolicy;
}

interface Walk {
  source: ImageSource;
  target: ImageTarget;
  options: CopyImageOptions;
  written: number;
  skipped: number;
  /** Blobs already handled in this copy (layers shared between the manifests of an index). */
  seen: Map<string, Promise<void>>;
}

export async function copyImage(
  source: ImageSource,
  target: ImageTarget,
  root: Descriptor,
  options: CopyImageOptions = {},
): Promise<CopyResult> {
  const walk: Walk = { source, target, options, written: 0, skipped: 0, seen: new Map() };
  const bytes = await withRetry(root, () => readDocument(source, root, options.signal), options);
  const kind = documentKind(root, bytes);
  let result: Pick<CopyResult, 'root' | 'index' | 'config'>;
  if (kind === 'manifest') {
    result = { root, config: await copyManifest(walk, root, bytes, true) };
  } else if (options.platform !== undefined) {
    const chosen = selectManifest(parseIndex(bytes), options.platform);
    if (chosen === undefined) throw noMatchingManifestError(options.platform, parseIndex(bytes));
    const manifestBytes = await withRetry(chosen, () => readDocument(source, chosen, options.signal), options);
    const config = await copyManifest(walk, chosen, manifestBytes, true);
    result = { root: chosen, index: root, config };
  } else {
    await copyIndex(walk, root, bytes, true);
    result = { root };
  }
  await target.finish(result.root, options.signal);
  return { ...result, written: walk.written, skipped: walk.skipped };
}

async function copyIndex(walk: Walk, desc: Descriptor, bytes: Uint8Array, root: boolean): Promise<void> {
  const index: ImageIndex = parseIndex(bytes);
  for (const child of index.manifests) {
    const childBytes = await withRetry(child, () => readDocument(walk.source, child, walk.options.signal), walk.options);
    if (documentKind(child, childBytes) === 'index') await copyIndex(walk, child, childBytes, false);
    else await copyManifest(walk, child, childBytes, false);
  }
  await writeDocument(walk, desc, bytes, root);
}

/** Copies a manifest's config and layers, then the manifest; returns the config's descriptor. */
async function copyManifest(walk: Walk, desc: Descriptor, bytes: Uint8Array, root: boolean): Promise<Descriptor> {
  const manifest: ImageManifest = parseManifest(bytes);
  await forEachLimited([manifest.config, ...manifest.layers], walk.target.concurrency, (blob) => copyBlobOnce(walk, blob));
  await writeDocument(walk, desc, bytes, root);
  return manifest.config;
}

async function writeDocument(walk: Walk, desc: Descriptor, bytes: Uint8Array, root: boolean): Promise<void> {
  const { target, options } = walk;
  await withRetry(desc, () => target.writeManifest(desc, bytes, root, options.signal), options);
}

function copyBlobOnce(walk: Walk, desc: Descriptor): Promise<void> {
  let copy = walk.seen.get(desc.digest);
  if (copy === undefined) {
    copy = copyBlob(walk, desc);
    walk.seen.set(desc.digest, copy);
  }
  return copy;
}

async function copyBlob(walk: Walk, desc: Descriptor): Promise<void> {
  const { source, target, options } = walk;
  const { onEvent, signal } = options;
  if (await withRetry(desc, () => target.exists(desc, signal), options)) {
    walk.skipped++;
    onEvent?.({ kind: 'exists', desc });
    return;
  }
  onEvent?.({ kind: 'start', desc });
  await withRetry(desc, async () => {
    const content = await fetchVerified(source, desc, onEvent, signal, target.verifies === true);
    try {
      await target.writeBlob(desc, content, signal);
    } catch (err) {
      throw target.verifies === true ? blameSource(err, desc, source) : err;
    } finally {
      // A target that failed early may not have drained the stream; stop the download.
      content.destroy();
    }
  }, options);
  walk.written++;
  onEvent?.({ kind: 'done', desc });
}

/** A target that verifies reports a mismatch in its own words; say which source sent the bytes. */
function blameSource(err: unknown, desc: Descriptor, source: ImageSource): unknown {
  if (!(isKilnError(err) && err.code === 'FAILED_PRECONDITION')) return err;
  return new KilnError('FAILED_PRECONDITION', `blob ${desc.digest} from ${source.location} does not match its descriptor; refused (${err.message})`, {
    hint: 'the source served corrupt or tampered content; nothing of it was kept',
    cause: err,
  });
}

/** Which document the bytes are: the descriptor's media type, else the document's own shape. */
function documentKind(desc: Descriptor, bytes: Uint8Array): 'index' | 'manifest' {
  if (isIndex(desc.mediaType)) return 'index';
  if (isManifest(desc.mediaType)) return 'manifest';
  const mediaType = declaredMediaType(bytes);
  if (mediaType !== undefined && isIndex(mediaType)) return 'index';
  if (mediaType !== undefined && isManifest(mediaType)) return 'manifest';
  throw new KilnError('INVALID_ARGUMENT', `${desc.digest} has media type ${JSON.stringify(desc.mediaType)}, which is neither an image manifest nor an index`);
}

function declaredMediaType(bytes: Uint8Array): string | undefined {
  try {
    const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as { mediaType?: unknown; manifests?: unknown };
    if (typeof doc.mediaType === 'string') return doc.mediaType;
    return Array.isArray(doc.manifests) ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.oci.image.manifest.v1+json';
  } catch {
    return undefined;
  }
}

/** Runs `task` over `items` with at most `limit` in flight; the first failure is thrown once all have stopped. */
async function forEachLimited<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    // After a failure no new work starts: the copy is lost anyway and the target should see as
    // little of it as possible.
    while (next < items.length && !failed) {
      const item = items[next++] as T;
      await task(item).catch((err: unknown) => {
        failed = true;
        throw err;
      });
    }
  };
  // Every worker is awaited, failed or not: when the copy reports its failure, nothing it
  // started is still writing to the target.
  const settled = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}
