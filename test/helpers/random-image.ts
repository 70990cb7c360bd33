// A one-layer OCI image layout whose layer holds a single file of random bytes, for tests that
// need a transfer long enough to interrupt (kill -9 mid-download). Random data does not
// compress, so the gzip layer is about as large as the file.
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';
import { digestOf, newDigester, type Digest } from '../../src/content/index.js';
import { hostPlatform, MediaTypes, toOCIPlatform, type ImageConfig, type ImageManifest } from '../../src/image/index.js';
import { writeBlob, writeJsonBlob, writeLayoutIndex } from './oci-layout.js';

export interface RandomImage {
  manifestDigest: Digest;
  manifestSize: number;
  configDigest: Digest;
  layerDigest: Digest;
  layerSize: number;
}

const chunkSize = 1 << 20;

async function* randomChunks(size: number): AsyncGenerator<Buffer> {
  for (let left = size; left > 0; left -= chunkSize) yield randomBytes(Math.min(chunkSize, left));
}

async function* gzippedTar(size: number, diffHash: ReturnType<typeof newDigester>): AsyncGenerator<Buffer> {
  const packer = pack();
  const filling = pipeline(randomChunks(size), packer.entry({ name: 'data.bin', size, mode: 0o644, mtime: new Date(0) }))
    .then(() => packer.finalize(), (err: unknown) => packer.destroy(err as Error));
  const gzip = createGzip({ level: 1 });
  const hashing = async function* (chunks: AsyncIterable<unknown>): AsyncGenerator<Buffer> {
    for await (const chunk of chunks as AsyncIterable<Buffer>) {
      diffHash.update(chunk);
      yield chunk;
    }
  };
  const compressing = pipeline(packer, hashing, gzip);
  compressing.catch(() => undefined);
  for await (const chunk of gzip) yield chunk as Buffer;
  await compressing;
  await filling;
}

/** Writes the layout with its single index entry named `tag`. */
export async function buildRandomImage(layoutDir: string, size: number, tag = 'latest'): Promise<RandomImage> {
  const diffHash = newDigester();
  const layer = await writeBlob(layoutDir, gzippedTar(size, diffHash));
  const config: ImageConfig = {
    created: '1970-01-01T00:00:00Z',
    ...toOCIPlatform({ ...hostPlatform(), os: 'linux' }),
    rootfs: { type: 'layers', diff_ids: [digestOf(diffHash)] },
  };
  const configDesc = await writeJsonBlob(layoutDir, MediaTypes.ociConfig, config);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: configDesc,
    layers: [{ mediaType: MediaTypes.ociLayerGzip, digest: layer.digest, size: layer.size }],
  };
  const manifestDesc = await writeJsonBlob(layoutDir, MediaTypes.ociManifest, manifest);
  await writeLayoutIndex(layoutDir, {
    schemaVersion: 2,
    mediaType: MediaTypes.ociIndex,
    manifests: [{ ...manifestDesc, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  });
  return { manifestDigest: manifestDesc.digest, manifestSize: manifestDesc.size, configDigest: configDesc.digest, layerDigest: layer.digest, layerSize: layer.size };
}
