// Media type classification and layer compression for OCI and Docker schema2 names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MediaTypes, isConfig, isIndex, isLayer, isManifest, isNondistributable, layerCompression,
} from '../../../src/image/index.js';
import { KilnError } from '../../../src/util/errors.js';

test('indexes: OCI image index and Docker manifest list', () => {
  assert.equal(isIndex(MediaTypes.ociIndex), true);
  assert.equal(isIndex(MediaTypes.dockerManifestList), true);
  assert.equal(isIndex(MediaTypes.ociManifest), false);
  assert.equal(isIndex('application/json'), false);
});

test('manifests: OCI image manifest and Docker schema2 manifest', () => {
  assert.equal(isManifest(MediaTypes.ociManifest), true);
  assert.equal(isManifest(MediaTypes.dockerManifest), true);
  assert.equal(isManifest(MediaTypes.dockerManifestList), false);
  assert.equal(isManifest('application/vnd.docker.distribution.manifest.v1+prettyjws'), false);
});

test('configs: OCI and Docker image configs', () => {
  assert.equal(isConfig(MediaTypes.ociConfig), true);
  assert.equal(isConfig(MediaTypes.dockerConfig), true);
  assert.equal(isConfig(MediaTypes.ociLayerGzip), false);
});

test('every layer media type is a layer, with its compression', () => {
  const expected: Array<[string, 'none' | 'gzip' | 'zstd']> = [
    ['application/vnd.oci.image.layer.v1.tar', 'none'],
    ['application/vnd.oci.image.layer.v1.tar+gzip', 'gzip'],
    ['application/vnd.oci.image.layer.v1.tar+zstd', 'zstd'],
    ['application/vnd.oci.image.layer.nondistributable.v1.tar', 'none'],
    ['application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', 'gzip'],
    ['application/vnd.oci.image.layer.nondistributable.v1.tar+zstd', 'zstd'],
    ['application/vnd.docker.image.rootfs.diff.tar', 'none'],
    ['application/vnd.docker.image.rootfs.diff.tar.gzip', 'gzip'],
    ['application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', 'gzip'],
  ];
  for (const [mediaType, compression] of expected) {
    assert.equal(isLayer(mediaType), true, mediaType);
    assert.equal(layerCompression(mediaType), compression, mediaType);
  }
});

test('documents and unknown types are not layers', () => {
  for (const mediaType of [MediaTypes.ociConfig, MediaTypes.ociManifest, 'application/vnd.in-toto+json', '']) {
    assert.equal(isLayer(mediaType), false);
  }
});

test('layerCompression refuses a non-layer media type', () => {
  assert.throws(
    () => layerCompression(MediaTypes.dockerConfig),
    (err: unknown) => err instanceof KilnError && err.code === 'INVALID_ARGUMENT' &&
      err.message === '"application/vnd.docker.container.image.v1+json" is not a layer media type',
  );
});

test('non-distributable layers: OCI nondistributable and Docker foreign layers', () => {
  assert.equal(isNondistributable(MediaTypes.ociLayerNondistributableGzip), true);
  assert.equal(isNondistributable(MediaTypes.dockerForeignLayerGzip), true);
  assert.equal(isNondistributable(MediaTypes.ociLayerGzip), false);
  assert.equal(isNondistributable(MediaTypes.dockerLayerGzip), false);
});
