// Reading Docker's manifest.json from an archive: [{Config, RepoTags, Layers}], the paths
// naming entries of the same archive (`<hex>.json` and `<id>/layer.tar` before Docker 25,
// blobs/sha256/<hex> since). Images without a Docker manifest in the archive (every legacy
// save, and untagged images of a Docker 25 save, which index.json does not list) get one
// synthesised from this description.
import { randomUUID } from 'node:crypto';
import { digestBytes, type ContentStore } from '../content/index.js';
import { MediaTypes, parseImageConfig, type Descriptor, type ImageManifest } from '../image/index.js';
import { KilnError } from '../util/errors.js';
import type { ArchiveContents, StoredBlob } from './archive-contents.js';
import { manifestListFile } from './archive-contents.js';
import { parseJson } from './layout-files.js';
import { parseEntry, readStoredDocument } from './stored-documents.js';

export interface ManifestListItem {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

export function parseManifestList(bytes: Uint8Array): ManifestListItem[] {
  const doc = parseJson(bytes, `archive entry ${manifestListFile}`);
  if (!Array.isArray(doc)) throw invalid('must be a JSON array');
  return doc.map((item: unknown, i) => {
    const { Config, RepoTags, Layers } = (item ?? {}) as Record<string, unknown>;
    if (typeof Config !== 'string') throw invalid(`[${i}].Config must be a string`);
    // Docker writes null for an image saved by ID.
    if (!(RepoTags === undefined || RepoTags === null || isStrings(RepoTags))) throw invalid(`[${i}].RepoTags must be an array of strings`);
    if (!isStrings(Layers)) throw invalid(`[${i}].Layers must be an array of strings`);
    return { Config, RepoTags: RepoTags ?? [], Layers };
  });
}

/** The stored blob an item's path names; missing means the archive lacks the entry. */
export function requireBlob(contents: ArchiveContents, path: string, what: string): StoredBlob {
  const blob = contents.blobAt(path);
  if (blob === undefined) {
    throw new KilnError('NOT_FOUND', `${manifestListFile} names ${what} ${path}, but the archive has no such entry`, {
      hint: 'the archive is incomplete; save the image again',
    });
  }
  return blob;
}

/**
 * Builds and stores a Docker schema2 manifest for an item. A layer stored uncompressed must
 * hash to its diff_id; a gzip layer's diff_id is checked when it is unpacked.
 */
export async function synthesiseManifest(store: ContentStore, contents: ArchiveContents, item: ManifestListItem): Promise<Descriptor> {
  const configBlob = requireBlob(contents, item.Config, 'config');
  const config = parseEntry(parseImageConfig, await readStoredDocument(store, configBlob, item.Config), item.Config);
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== item.Layers.length) {
    throw invalid(`lists ${item.Layers.length} layers for ${item.Config}, whose rootfs has ${diffIds.length} diff_ids`);
  }
  const layers = item.Layers.map((path, i): Descriptor => {
    const blob = requireBlob(contents, path, 'layer');
    if (blob.digest === diffIds[i]) return { mediaType: MediaTypes.dockerLayer, digest: blob.digest, size: blob.size };
    if (blob.gzip) return { mediaType: MediaTypes.dockerLayerGzip, digest: blob.digest, size: blob.size };
    throw new KilnError('INVALID_ARGUMENT', `archive entry ${path} hashes to ${blob.digest}, but ${item.Config} gives layer ${i} the diff_id ${String(diffIds[i])}`, {
      hint: 'the archive is corrupt or was tampered with',
    });
  });
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.dockerManifest,
    config: { mediaType: MediaTypes.dockerConfig, digest: configBlob.digest, size: configBlob.size },
    layers,
  };
  return storeDocument(store, MediaTypes.dockerManifest, Buffer.from(JSON.stringify(manifest)));
}

async function storeDocument(store: ContentStore, mediaType: string, bytes: Buffer): Promise<Descriptor> {
  const desc: Descriptor = { mediaType, digest: digestBytes(bytes), size: bytes.byteLength };
  if ((await store.info(desc.digest))?.size === desc.size) return desc;
  const writer = await store.writer(`archive-manifest-${randomUUID()}`, { digest: desc.digest, size: desc.size });
  try {
    await writer.write(bytes);
    await writer.commit();
  } catch (err) {
    await writer.abort();
    throw err;
  }
  return desc;
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function invalid(what: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `archive entry ${manifestListFile} ${what}`);
}
