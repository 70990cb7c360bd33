// The mark phase of garbage collection: every blob reachable from a set of root descriptors,
// following indexes to their manifests and manifests to their config, layers and subject.
// `rmi` and `save` use it on its own to find the blobs of one image. Documents are read
// through the store's verified read; one that cannot be read or parsed is an error, never a
// leaf, because treating it as a leaf would let the sweep delete the blobs it names.
import { KilnError, isKilnError } from '../util/errors.js';
import { isIndex, isManifest } from '../image/mediatypes.js';
import { parseIndex, parseManifest } from '../image/validate.js';
import { maxDocumentSize, readDocument as readImageDocument } from '../image/copy-blob.js';
import type { Descriptor } from '../image/types.js';
import { parseDigest, type Digest } from './digest.js';
import { StoreImageSource } from './image-transfer.js';
import type { ContentStore } from './types.js';

type DocumentKind = 'index' | 'manifest';

/**
 * The digests reachable from `roots`, the roots included. Children missing from the store
 * (an index pulled for one platform keeps only that platform's manifest) are in the set but
 * not followed. A manifest or index that is present but corrupt, oversized or unparsable
 * fails the whole mark with an INTERNAL error naming its digest.
 */
export async function referencedBlobs(store: ContentStore, roots: Descriptor[]): Promise<Set<Digest>> {
  const reached = new Set<Digest>();
  // Keyed by kind too: the same bytes described once as a layer and once as a manifest
  // must still be expanded as the manifest.
  const expanded = new Set<string>();
  const pending: Descriptor[] = [];
  const reach = (desc: Descriptor): void => {
    reached.add(parseDigest(desc.digest));
    const kind = documentKind(desc);
    const key = `${kind}:${desc.digest}`;
    if (kind !== undefined && !expanded.has(key)) {
      expanded.add(key);
      pending.push(desc);
    }
  };
  roots.forEach(reach);
  for (let desc = pending.pop(); desc !== undefined; desc = pending.pop()) {
    for (const child of await children(store, desc)) reach(child);
  }
  return reached;
}

function documentKind(desc: Descriptor): DocumentKind | undefined {
  if (isIndex(desc.mediaType)) return 'index';
  if (isManifest(desc.mediaType)) return 'manifest';
  return undefined;
}

/** The descriptors a present index or manifest names; none when it is not in the store. */
async function children(store: ContentStore, desc: Descriptor): Promise<Descriptor[]> {
  const bytes = await readDocument(store, desc);
  if (bytes === undefined) return [];
  try {
    if (documentKind(desc) === 'index') {
      const index = parseIndex(bytes);
      return index.subject === undefined ? index.manifests : [...index.manifests, index.subject];
    }
    const manifest = parseManifest(bytes);
    const named = [manifest.config, ...manifest.layers];
    return manifest.subject === undefined ? named : [...named, manifest.subject];
  } catch (err) {
    throw unreadable(desc, 'it is not a valid image document', err);
  }
}

async function readDocument(store: ContentStore, desc: Descriptor): Promise<Uint8Array | undefined> {
  if (desc.size > maxDocumentSize) {
    throw unreadable(desc, `its descriptor gives ${desc.size} bytes, more than the ${maxDocumentSize} a manifest or index may have`);
  }
  try {
    return await readImageDocument(new StoreImageSource(store), desc);
  } catch (err) {
    if (isKilnError(err) && err.code === 'NOT_FOUND') return undefined;
    throw unreadable(desc, 'reading it failed', err);
  }
}

function unreadable(desc: Descriptor, problem: string, cause?: unknown): KilnError {
  const reason = cause instanceof Error ? `${problem}: ${cause.message}` : problem;
  return new KilnError('INTERNAL', `cannot read ${desc.mediaType} ${desc.digest}: ${reason}`, {
    hint: `the blob is corrupt; remove the images that use ${desc.digest} and pull or build them again`,
    cause,
  });
}
