// After an archive is read, every image it names must be whole in the store: an index's
// manifests (those it carries: a save may hold one platform of many), each manifest's config
// and layers. A missing piece is reported by the archive entry that should have held it.
import type { ContentStore } from '../content/index.js';
import { isIndex, isManifest, parseIndex, parseManifest, type Descriptor } from '../image/index.js';
import { KilnError } from '../util/errors.js';
import { blobEntryName } from './layout-files.js';
import { parseEntry, readStoredDocument } from './stored-documents.js';

/** Checks `desc` and everything below it; `namedBy` says which document points at it. */
export async function validateLoaded(store: ContentStore, desc: Descriptor, namedBy: string): Promise<void> {
  await requirePresent(store, desc, namedBy);
  const entry = blobEntryName(desc.digest);
  if (isIndex(desc.mediaType)) {
    const index = parseEntry(parseIndex, await readStoredDocument(store, desc, entry), entry);
    const present = [];
    for (const child of index.manifests) {
      if ((await store.info(child.digest)) !== undefined) present.push(child);
    }
    if (present.length === 0) {
      throw new KilnError('NOT_FOUND', `the archive holds none of the manifests of index ${entry}`, { hint: 'save the image again' });
    }
    for (const child of present) await validateLoaded(store, child, `index ${entry}`);
  } else if (isManifest(desc.mediaType)) {
    const manifest = parseEntry(parseManifest, await readStoredDocument(store, desc, entry), entry);
    for (const blob of [manifest.config, ...manifest.layers]) await requirePresent(store, blob, `manifest ${entry}`);
  } else {
    throw new KilnError('INVALID_ARGUMENT', `${namedBy} names ${entry} as ${JSON.stringify(desc.mediaType)}, which is neither an image manifest nor an index`);
  }
}

async function requirePresent(store: ContentStore, desc: Descriptor, namedBy: string): Promise<void> {
  const entry = blobEntryName(desc.digest);
  const info = await store.info(desc.digest);
  if (info === undefined) {
    throw new KilnError('NOT_FOUND', `${namedBy} names ${desc.mediaType} ${desc.digest}, but the archive has no entry ${entry}`, {
      hint: 'the archive is incomplete; save the image again',
    });
  }
  if (info.size !== desc.size) {
    throw new KilnError('INVALID_ARGUMENT', `${namedBy} gives ${entry} a size of ${desc.size} bytes, but the entry has ${info.size}`);
  }
}
