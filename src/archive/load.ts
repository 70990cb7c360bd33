// `docker load` for kiln: one pass over a tar stream (stdin included) that stores every blob
// as it arrives, then works out which images the archive held and under which names. Three
// layouts are accepted: Docker 25+ saves (an OCI layout plus manifest.json), plain OCI layout
// tars (buildx --output type=oci) and the legacy docker save format (manifest.json with
// `<id>/layer.tar` and `<hex>.json`, for which a Docker schema2 manifest is synthesised).
import type { Readable } from 'node:stream';
import { parseDigest, type ContentStore, type Digest } from '../content/index.js';
import { isIndex, parseIndex, parseManifest, type Descriptor } from '../image/index.js';
import { formatReference, parseNormalizedReference, withDefaultTag } from '../registry/index.js';
import { KilnError } from '../util/errors.js';
import { entryImageName } from './annotations.js';
import { manifestListFile, readArchiveContents, type ArchiveContents } from './archive-contents.js';
import { blobEntryName, checkLayoutMarker, indexFile, layoutMarkerFile, parseJson } from './layout-files.js';
import { parseManifestList, requireBlob, synthesiseManifest, type ManifestListItem } from './manifest-list.js';
import { parseEntry, readStoredDocument } from './stored-documents.js';
import { validateLoaded } from './validate-loaded.js';

export interface LoadedImage {
  /** Full references (docker.io/library/busybox:latest); empty for an image saved by ID. */
  names: string[];
  /** The manifest or index now in the store. */
  target: Descriptor;
}

interface Found {
  target: Descriptor;
  names: string[];
  /** What named the image, for error messages. */
  namedBy: string;
}

export async function loadArchive(input: Readable, store: ContentStore, options: { where?: string } = {}): Promise<LoadedImage[]> {
  const where = options.where ?? 'the image archive';
  const contents = await readArchiveContents(input, store, where);
  const marker = contents.documents.get(layoutMarkerFile);
  if (marker !== undefined) checkLayoutMarker(parseJson(marker, `archive entry ${layoutMarkerFile}`), `archive entry ${layoutMarkerFile}`);
  const indexBytes = contents.documents.get(indexFile);
  const listBytes = contents.documents.get(manifestListFile);
  if (indexBytes === undefined && listBytes === undefined) {
    throw new KilnError('INVALID_ARGUMENT', `${where} has neither ${indexFile} nor ${manifestListFile}, so it holds no image`, {
      hint: 'load a tar written by docker save, buildx --output type=oci|docker or kiln save',
    });
  }
  const found = indexBytes === undefined ? [] : indexImages(indexBytes);
  if (listBytes !== undefined) await addListedImages(store, contents, parseManifestList(listBytes), found);
  for (const image of found) await validateLoaded(store, image.target, image.namedBy);
  return found.map(({ names, target }) => ({ names, target }));
}

/** index.json entries, one image per digest: docker save lists an image once per tag. */
function indexImages(bytes: Buffer): Found[] {
  const index = parseEntry(parseIndex, bytes, indexFile);
  const byDigest = new Map<Digest, Found>();
  for (const desc of index.manifests) {
    const digest = parseDigest(desc.digest);
    const image = byDigest.get(digest) ?? { target: plain(desc), names: [], namedBy: indexFile };
    byDigest.set(digest, image);
    const name = entryImageName(desc);
    if (name !== undefined && !image.names.includes(name)) image.names.push(name);
  }
  return [...byDigest.values()];
}

/**
 * manifest.json's RepoTags name the images Docker will tag; an item matches an index.json
 * image by its config and layer count. Items no index entry describes are synthesised.
 */
async function addListedImages(store: ContentStore, contents: ArchiveContents, items: ManifestListItem[], found: Found[]): Promise<void> {
  const candidates = await manifestsOf(store, found);
  for (const item of items) {
    const config = requireBlob(contents, item.Config, 'config').digest;
    const names = item.RepoTags.map(fullName);
    const match = candidates.find((c) => c.config === config && c.layers === item.Layers.length);
    if (match !== undefined) {
      if (names.length > 0) match.image.names = names;
      continue;
    }
    const target = await synthesiseManifest(store, contents, item);
    const same = found.find((f) => f.target.digest === target.digest);
    if (same === undefined) found.push({ target, names, namedBy: manifestListFile });
    else same.names.push(...names.filter((n) => !same.names.includes(n)));
  }
}

interface Candidate {
  image: Found;
  config: Digest;
  layers: number;
}

/** The stored manifests of index.json images (an index's children, one level down). */
async function manifestsOf(store: ContentStore, found: Found[]): Promise<Candidate[]> {
  const candidates: Candidate[] = [];
  for (const image of found) {
    const descs = isIndex(image.target.mediaType) ? await childrenOf(store, image.target) : [image.target];
    for (const desc of descs) {
      if (isIndex(desc.mediaType) || (await store.info(desc.digest)) === undefined) continue;
      const entry = blobEntryName(desc.digest);
      const manifest = parseEntry(parseManifest, await readStoredDocument(store, desc, entry), entry);
      candidates.push({ image, config: manifest.config.digest, layers: manifest.layers.length });
    }
  }
  return candidates;
}

async function childrenOf(store: ContentStore, desc: Descriptor): Promise<Descriptor[]> {
  if ((await store.info(desc.digest)) === undefined) return [];
  const entry = blobEntryName(desc.digest);
  return parseEntry(parseIndex, await readStoredDocument(store, desc, entry), entry).manifests;
}

function fullName(tag: string): string {
  return formatReference(withDefaultTag(parseNormalizedReference(tag)));
}

/** The descriptor without the index entry's naming annotations. */
function plain(desc: Descriptor): Descriptor {
  const out: Descriptor = { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
  if (desc.platform !== undefined) out.platform = desc.platform;
  return out;
}
