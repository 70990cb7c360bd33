// Committing a built image: the base image's config and layers, the build's new layers, config
// changes and history, written to the content store as an OCI image config and manifest
// (BuildKit's containerimage exporter with oci-mediatypes=true). Naming the result is the
// caller's (content/images.ts); this only makes the blobs.
import { randomBytes } from 'node:crypto';
import { digestBytes, type ContentStore, type Digest } from '../content/index.js';
import {
  MediaTypes, type Descriptor, type HistoryEntry, type ImageConfig, type ImageManifest, type OCIPlatform,
} from '../image/index.js';
import { KilnError } from '../util/errors.js';
import { applyConfigChanges, type ConfigChanges } from './config-changes.js';

export interface ImageLayer {
  descriptor: Descriptor;
  /** sha256 of the uncompressed layer tar. */
  diffId: Digest;
}

export interface BaseImage {
  manifest: ImageManifest;
  config: ImageConfig;
}

export interface CommitImageOptions {
  /** The image built on; absent for `FROM scratch`. */
  base?: BaseImage;
  /** Required without a base; with one, the base's platform is kept unless this is given. */
  platform?: OCIPlatform;
  /** The build's layers, bottom first, each a non-empty diff. */
  layers: ImageLayer[];
  changes?: ConfigChanges;
  /**
   * The build's steps, appended to the base's history. Entries without `empty_layer: true`
   * must match `layers` one for one. A missing `created` is filled with the image's.
   */
  history?: HistoryEntry[];
  /** SOURCE_DATE_EPOCH: the image's `created`, instead of now, for reproducible digests. */
  sourceDateEpoch?: Date;
  /** The manifest's annotations. */
  annotations?: Record<string, string>;
  /** Fields of the config beyond the image spec's (an inline build cache), set as given. */
  configFields?: Record<string, unknown>;
}

export interface CommittedImage {
  /** The manifest (`application/vnd.oci.image.manifest.v1+json`), to tag or push. */
  manifest: Descriptor;
  /** The config blob; its digest is the image ID. */
  config: Descriptor;
}

/** Docker schema2 layers carry the same bytes as their OCI counterparts; only the names differ. */
const ociLayerType: Readonly<Record<string, string>> = {
  [MediaTypes.dockerLayer]: MediaTypes.ociLayer,
  [MediaTypes.dockerLayerGzip]: MediaTypes.ociLayerGzip,
  [MediaTypes.dockerForeignLayerGzip]: MediaTypes.ociLayerNondistributableGzip,
};

/** RFC 3339 as Go writes it: no fractional part when it is zero. */
function timestamp(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z');
}

function platformOf(options: CommitImageOptions): OCIPlatform {
  if (options.platform !== undefined) return options.platform;
  const base = options.base?.config;
  if (base === undefined) {
    throw new KilnError('INVALID_ARGUMENT', 'an image built from scratch needs a platform');
  }
  return {
    architecture: base.architecture, os: base.os,
    ...(base['os.version'] === undefined ? {} : { 'os.version': base['os.version'] }),
    ...(base['os.features'] === undefined ? {} : { 'os.features': base['os.features'] }),
    ...(base.variant === undefined ? {} : { variant: base.variant }),
  };
}

function checkHistory(history: HistoryEntry[], layers: ImageLayer[]): void {
  const withLayer = history.filter((entry) => entry.empty_layer !== true).length;
  if (history.length > 0 && withLayer !== layers.length) {
    throw new KilnError('INVALID_ARGUMENT', `the build's history lists ${withLayer} steps with a layer, but it made ${layers.length} layers`, {
      hint: 'mark the steps that made no layer with empty_layer: true',
    });
  }
}

function imageConfig(options: CommitImageOptions, created: string): ImageConfig {
  const base = options.base?.config;
  const history = (options.history ?? []).map((entry) => ({ ...entry, created: entry.created ?? created }));
  checkHistory(history, options.layers);
  const execution = applyConfigChanges(base?.config, options.changes ?? {});
  const platform = platformOf(options);
  return {
    created,
    ...(base?.author === undefined ? {} : { author: base.author }),
    architecture: platform.architecture,
    os: platform.os,
    ...(platform['os.version'] === undefined ? {} : { 'os.version': platform['os.version'] }),
    ...(platform['os.features'] === undefined ? {} : { 'os.features': platform['os.features'] }),
    ...(platform.variant === undefined ? {} : { variant: platform.variant }),
    config: execution,
    rootfs: { type: 'layers', diff_ids: [...(base?.rootfs.diff_ids ?? []), ...options.layers.map((layer) => layer.diffId)] },
    history: [...(base?.history ?? []), ...history],
    ...options.configFields,
  };
}

function baseLayers(base: BaseImage | undefined): Descriptor[] {
  const layers = base?.manifest.layers ?? [];
  if (layers.length !== (base?.config.rootfs.diff_ids.length ?? 0)) {
    throw new KilnError('INVALID_ARGUMENT', `the base image lists ${layers.length} layers but ${base?.config.rootfs.diff_ids.length ?? 0} diff IDs`);
  }
  return layers.map((layer) => ({ ...layer, mediaType: ociLayerType[layer.mediaType] ?? layer.mediaType }));
}

async function writeDocument(content: ContentStore, mediaType: string, document: object): Promise<Descriptor> {
  const bytes = Buffer.from(JSON.stringify(document));
  const digest = digestBytes(bytes);
  const writer = await content.writer(`${mediaType}-${randomBytes(8).toString('hex')}`, { digest, size: bytes.length });
  try {
    await writer.write(bytes);
    await writer.commit(bytes.length, digest);
  } catch (err) {
    await writer.abort();
    throw err;
  }
  return { mediaType, digest, size: bytes.length };
}

/** Writes the image's config and manifest; returns their descriptors. */
export async function commitImage(content: ContentStore, options: CommitImageOptions): Promise<CommittedImage> {
  const created = timestamp(options.sourceDateEpoch ?? new Date());
  const layers = [...baseLayers(options.base), ...options.layers.map((layer) => layer.descriptor)];
  const config = await writeDocument(content, MediaTypes.ociConfig, imageConfig(options, created));
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config,
    layers,
    ...(options.annotations === undefined ? {} : { annotations: options.annotations }),
  };
  return { manifest: await writeDocument(content, MediaTypes.ociManifest, manifest), config };
}
