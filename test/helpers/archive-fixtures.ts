// Images and archives for the archive tests, built from the busybox fixture: a second image
// sharing busybox's layer, and docker-archives written by DockerArchiveTarget into memory.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { DockerArchiveTarget } from '../../src/archive/docker-archive.js';
import { OciLayoutSource } from '../../src/archive/oci-layout.js';
import { MediaTypes, type Descriptor, type ImageConfig, type ImageManifest } from '../../src/image/index.js';
import type { BusyboxImage } from './busybox-image.js';
import { writeJsonBlob } from './oci-layout.js';
import { copyImage } from '../../src/image/copy.js';

export function rootOf(busybox: BusyboxImage): Descriptor {
  const entry = busybox.index.manifests[0];
  assert.ok(entry !== undefined);
  return { mediaType: entry.mediaType, digest: entry.digest, size: entry.size };
}

/** A second image in the busybox layout: another config over the same layer. */
export async function addSiblingImage(busybox: BusyboxImage): Promise<Descriptor> {
  const config: ImageConfig = {
    architecture: 'amd64', os: 'linux', config: { Cmd: ['echo', 'sibling'] },
    rootfs: { type: 'layers', diff_ids: [busybox.diffId] },
  };
  const configDesc = await writeJsonBlob(busybox.layoutDir, MediaTypes.ociConfig, config);
  const layout = await OciLayoutSource.open(busybox.layoutDir);
  const [layer] = (await manifestOf(layout, rootOf(busybox))).layers;
  assert.ok(layer !== undefined);
  const manifest: ImageManifest = { schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: configDesc, layers: [layer] };
  return writeJsonBlob(busybox.layoutDir, MediaTypes.ociManifest, manifest);
}

async function manifestOf(source: OciLayoutSource, desc: Descriptor): Promise<ImageManifest> {
  const chunks: Buffer[] = [];
  for await (const chunk of await source.fetch(desc)) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as ImageManifest;
}

/** Saves images of a layout into an in-memory archive, as `kiln save` would. */
export async function saveArchive(
  layoutDir: string,
  images: { root: Descriptor; names: string[] }[],
  format: 'docker' | 'oci' = 'docker',
): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const target = new DockerArchiveTarget(out, { images, format });
  const source = await OciLayoutSource.open(layoutDir);
  for (const image of images) await copyImage(source, target, image.root);
  await target.close();
  return Buffer.concat(chunks);
}
