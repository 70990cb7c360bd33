// How a cache travels: as an OCI image manifest whose config is the cache config and whose
// layers are every blob the config names (BuildKit's `image-manifest=true` form), so any
// registry that stores images stores it, keeps its blobs from garbage collection and lets them
// be mounted across repositories. A cache with more layers than one manifest should hold is
// split into shard manifests under an OCI index, all with the same config: registries limit a
// manifest to a few MiB, and a cache must not be limited by that.
import { Readable } from 'node:stream';
import { digestBytes, type ContentStore, type Digest } from '../content/index.js';
import {
  fetchVerified, hostPlatform, isConfig, isIndex, MediaTypes, noMatchingManifestError, parseIndex, parseManifest, readDocument, selectManifest,
  type Descriptor, type ImageIndex, type ImageManifest, type ImageSource,
} from '../image/index.js';
import { KilnError } from '../util/errors.js';
import { cacheConfigMediaType, inlineCacheField, mergeCacheConfigs, parseCacheConfig, type CacheConfig } from './config.js';

/** Layers per manifest: about 150 KiB of JSON, far under any registry's limit. */
export const shardLayers = 1000;

export interface CacheDocuments {
  /** The manifest, or the index of shards: what the cache's reference names. */
  root: Descriptor;
  config: Descriptor;
  /** The config, the manifests and the index by digest: served from memory to the copy. */
  documents: Map<Digest, Uint8Array>;
}

function document(mediaType: string, value: object, documents: Map<Digest, Uint8Array>): Descriptor {
  const bytes = Buffer.from(JSON.stringify(value));
  const digest = digestBytes(bytes);
  documents.set(digest, bytes);
  return { mediaType, digest, size: bytes.length };
}

/**
 * The documents of a cache whose config is `config` and whose blobs are `layers`; `blobs` are
 * more blobs made here (record shards), listed with the layers and served from memory.
 */
export function cacheDocuments(config: CacheConfig, layers: readonly Descriptor[], blobs: ReadonlyMap<Digest, { desc: Descriptor; bytes: Uint8Array }> = new Map()): CacheDocuments {
  const documents = new Map<Digest, Uint8Array>([...blobs].map(([digest, { bytes }]) => [digest, bytes]));
  layers = [...layers, ...[...blobs.values()].map(({ desc }) => desc)];
  const configDesc = document(cacheConfigMediaType, config, documents);
  const manifest = (slice: readonly Descriptor[]): Descriptor => document(MediaTypes.ociManifest, {
    schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: configDesc, layers: [...slice],
  } satisfies ImageManifest, documents);
  if (layers.length <= shardLayers) return { root: manifest(layers), config: configDesc, documents };
  const shards: Descriptor[] = [];
  for (let at = 0; at < layers.length; at += shardLayers) shards.push(manifest(layers.slice(at, at + shardLayers)));
  const root = document(MediaTypes.ociIndex, { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: shards } satisfies ImageIndex, documents);
  return { root, config: configDesc, documents };
}

/** The copy's source: the cache's documents from memory, its layers from the content store. */
export class CacheExportSource implements ImageSource {
  readonly location = 'the build cache';
  readonly verifies = true;

  constructor(private readonly content: ContentStore, private readonly documents: ReadonlyMap<Digest, Uint8Array>) {}

  async fetch(desc: Descriptor): Promise<Readable> {
    const bytes = this.documents.get(desc.digest);
    return bytes === undefined ? this.content.read(desc) : Readable.from([Buffer.from(bytes)]);
  }
}

export interface ImportedCache {
  config: CacheConfig;
}

/**
 * The manifests of a cache root: itself, or the shards of its index; for an image's index (an
 * inline cache in a multi-platform image), this machine's platform's manifest.
 */
async function manifestsOf(source: ImageSource, root: Descriptor, signal?: AbortSignal): Promise<ImageManifest[]> {
  const bytes = await readDocument(source, root, signal);
  if (!isIndex(root.mediaType)) return [parseManifest(bytes)];
  const index = parseIndex(bytes);
  const forPlatforms = index.manifests.some((entry) => entry.platform !== undefined);
  const chosen = forPlatforms ? selectManifest(index, hostPlatform()) : undefined;
  if (forPlatforms && chosen === undefined) throw noMatchingManifestError(hostPlatform(), index);
  return Promise.all((chosen === undefined ? index.manifests : [chosen]).map(async (shard) => parseManifest(await readDocument(source, shard, signal))));
}

/** Every blob the manifests of the cache (or image) at `root` list: all there, in its repository. */
export async function listedBlobs(source: ImageSource, root: Descriptor, signal?: AbortSignal): Promise<Set<Digest>> {
  return new Set((await manifestsOf(source, root, signal)).flatMap((manifest) => manifest.layers.map((layer) => layer.digest)));
}

/** The cache an image carries in its config (`--cache-to type=inline`). */
async function inlineCache(source: ImageSource, manifest: ImageManifest, signal?: AbortSignal): Promise<ImportedCache> {
  const config = JSON.parse(Buffer.from(await readDocument(source, manifest.config, signal)).toString('utf8')) as Record<string, unknown>;
  const inline = config[inlineCacheField];
  if (inline === undefined) {
    throw new KilnError('NOT_FOUND', `the image at ${source.location} carries no inline cache`, { hint: 'build it with --cache-to type=inline' });
  }
  return { config: parseCacheConfig(Buffer.from(JSON.stringify(inline)), source.location) };
}

/** Reads a cache from `source`: its manifests, then its config, streamed and without a size limit. */
export async function readCache(source: ImageSource, root: Descriptor, signal?: AbortSignal): Promise<ImportedCache> {
  const manifests = await manifestsOf(source, root, signal);
  const image = manifests.length === 1 ? manifests[0] : undefined;
  if (image !== undefined && isConfig(image.config.mediaType)) return inlineCache(source, image, signal);
  const configDesc = manifests[0]?.config;
  if (configDesc?.mediaType !== cacheConfigMediaType || manifests.some((manifest) => manifest.config.digest !== configDesc.digest)) {
    throw new KilnError('INVALID_ARGUMENT', `${source.location} is not a kiln cache: its config is ${configDesc?.mediaType ?? 'missing'}`, {
      hint: `a kiln cache is written by --cache-to; its config is ${cacheConfigMediaType}`,
    });
  }
  const top = parseCacheConfig(await readBlob(source, configDesc, signal), source.location);
  if (top.shards === undefined) return { config: top };
  // A sharded cache's records, read side by side and merged; the root keeps the mounts.
  const shards = await Promise.all(top.shards.map(async (shard) => {
    const config = parseCacheConfig(await readBlob(source, shard, signal), source.location);
    if (config.shards !== undefined || config.mounts !== undefined) throw new KilnError('INVALID_ARGUMENT', `the cache shard ${shard.digest} from ${source.location} is itself sharded`);
    return config;
  }));
  return { config: { ...mergeCacheConfigs(shards), ...(top.mounts === undefined ? {} : { mounts: top.mounts }) } };
}

/** A blob read whole, verified while it streams, with no size limit (a config, a shard). */
async function readBlob(source: ImageSource, desc: Descriptor, signal?: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await fetchVerified(source, desc, undefined, signal)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
