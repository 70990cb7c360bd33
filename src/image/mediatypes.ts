// Media types of the two image formats a registry serves: OCI image-spec v1 and Docker's
// schema2, which OCI grew out of. The shapes are the same; only the names differ, so every
// consumer asks these helpers instead of comparing strings against one format's names.
import { KilnError } from '../util/errors.js';

export const MediaTypes = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  // Non-distributable layers are deprecated by image-spec 1.1 but still found in Windows images.
  ociLayerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociLayerNondistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  // Uncompressed schema2 layers are not in the spec, but docker save and BuildKit write them.
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

export type LayerCompression = 'none' | 'gzip' | 'zstd';

const indexTypes: ReadonlySet<string> = new Set([MediaTypes.ociIndex, MediaTypes.dockerManifestList]);
const manifestTypes: ReadonlySet<string> = new Set([MediaTypes.ociManifest, MediaTypes.dockerManifest]);
const configTypes: ReadonlySet<string> = new Set([MediaTypes.ociConfig, MediaTypes.dockerConfig]);

const layerTypes: ReadonlyMap<string, LayerCompression> = new Map([
  [MediaTypes.ociLayer, 'none'],
  [MediaTypes.ociLayerGzip, 'gzip'],
  [MediaTypes.ociLayerZstd, 'zstd'],
  [MediaTypes.ociLayerNondistributable, 'none'],
  [MediaTypes.ociLayerNondistributableGzip, 'gzip'],
  [MediaTypes.ociLayerNondistributableZstd, 'zstd'],
  [MediaTypes.dockerLayer, 'none'],
  [MediaTypes.dockerLayerGzip, 'gzip'],
  [MediaTypes.dockerForeignLayerGzip, 'gzip'],
]);

/** An OCI image index or a Docker manifest list. */
export function isIndex(mediaType: string): boolean {
  return indexTypes.has(mediaType);
}

/** An OCI image manifest or a Docker schema2 manifest. */
export function isManifest(mediaType: string): boolean {
  return manifestTypes.has(mediaType);
}

/** An OCI or Docker image configuration. */
export function isConfig(mediaType: string): boolean {
  return configTypes.has(mediaType);
}

/** A filesystem changeset (tar), compressed or not, distributable or not. */
export function isLayer(mediaType: string): boolean {
  return layerTypes.has(mediaType);
}

/** Layers whose blobs registries may refuse to store: they are fetched from their `urls`. */
export function isNondistributable(mediaType: string): boolean {
  return (
    mediaType.startsWith('application/vnd.oci.image.layer.nondistributable.') ||
    mediaType === MediaTypes.dockerForeignLayerGzip
  );
}

/** How a layer blob is compressed; unpacking a non-layer blob as a tar is a caller bug. */
export function layerCompression(mediaType: string): LayerCompression {
  const compression = layerTypes.get(mediaType);
  if (compression === undefined) {
    throw new KilnError('INVALID_ARGUMENT', `${JSON.stringify(mediaType)} is not a layer media type`);
  }
  return compression;
}
