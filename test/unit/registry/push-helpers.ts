// Shared by the registry client tests: the busybox fixture image, pushed through a
// RegistryTarget the way the copier does (blobs first, then the manifest), and blobs read
// back through a RegistrySource and hashed.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { buildBusyboxImage, type BusyboxImage } from '../../helpers/busybox-image.js';
import { blobPath } from '../../helpers/oci-layout.js';
import { tempDir } from '../../helpers/tmp.js';
import type { Descriptor, ImageManifest } from '../../../src/image/index.js';
import type { ImageSource, ImageTarget } from '../../../src/image/transfer.js';

export interface Fixture {
  image: BusyboxImage;
  manifest: Descriptor;
  manifestBytes: Buffer;
  blobs: Descriptor[];
}

export async function busyboxFixture(): Promise<Fixture> {
  const image = await buildBusyboxImage(await tempDir('registry-layout'));
  const entry = image.index.manifests[0];
  if (entry === undefined) throw new Error('fixture has no manifest');
  const manifest: Descriptor = { mediaType: entry.mediaType, digest: entry.digest, size: entry.size };
  const manifestBytes = await readFile(blobPath(image.layoutDir, entry.digest));
  const parsed = JSON.parse(manifestBytes.toString('utf8')) as ImageManifest;
  return { image, manifest, manifestBytes, blobs: [parsed.config, ...parsed.layers] };
}

/** Pushes the fixture; returns how many blobs were sent (not already present or mounted). */
export async function pushFixture(target: ImageTarget, fixture: Fixture): Promise<number> {
  let sent = 0;
  for (const desc of fixture.blobs) {
    if (await target.exists(desc)) continue;
    await target.writeBlob(desc, createReadStream(blobPath(fixture.image.layoutDir, desc.digest)));
    sent++;
  }
  await target.writeManifest(fixture.manifest, fixture.manifestBytes, true);
  await target.finish(fixture.manifest);
  return sent;
}

export async function digestOfStream(stream: Readable): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).byteLength;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

/** Fetches every document and blob of the fixture and checks nothing; returns their digests. */
export async function pullDigests(source: ImageSource, fixture: Fixture): Promise<string[]> {
  const digests: string[] = [];
  for (const desc of [fixture.manifest, ...fixture.blobs]) digests.push((await digestOfStream(await source.fetch(desc))).digest);
  return digests;
}
