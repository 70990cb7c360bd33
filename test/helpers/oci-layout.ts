// Writing an OCI image layout directory (image-spec image-layout.md): the `oci-layout` marker,
// `index.json` and content-addressed blobs under blobs/sha256. Test fixtures build images
// with it so that no test needs a registry or the internet.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { digestBytes, digestHex, digestOf, newDigester, type Digest } from '../../src/content/index.js';
import type { Descriptor, ImageIndex } from '../../src/image/index.js';

export interface WrittenBlob {
  digest: Digest;
  size: number;
}

export function blobPath(layoutDir: string, digest: Digest): string {
  return join(layoutDir, 'blobs', 'sha256', digestHex(digest));
}

async function blobsDir(layoutDir: string): Promise<string> {
  const dir = join(layoutDir, 'blobs', 'sha256');
  await mkdir(dir, { recursive: true });
  return dir;
}

/**
 * Streams `source` into the layout, hashing as it goes; the blob appears under its digest
 * only once complete (temp file, then rename), so a failed write never leaves a blob whose
 * name does not match its bytes.
 */
export async function writeBlob(layoutDir: string, source: AsyncIterable<Uint8Array>): Promise<WrittenBlob> {
  const dir = await blobsDir(layoutDir);
  const temp = join(dir, `.ingest-${randomBytes(8).toString('hex')}.tmp`);
  const hash = newDigester();
  let size = 0;
  async function* hashing(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of chunks) {
      hash.update(chunk);
      size += chunk.byteLength;
      yield chunk;
    }
  }
  try {
    await pipeline(source, hashing, createWriteStream(temp, { flags: 'wx' }));
    const digest = digestOf(hash);
    await rename(temp, join(dir, digestHex(digest)));
    return { digest, size };
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** Writes a JSON document (manifest, config) as a blob and returns its descriptor. */
export async function writeJsonBlob(layoutDir: string, mediaType: string, document: unknown): Promise<Descriptor> {
  const bytes = Buffer.from(JSON.stringify(document));
  const digest = digestBytes(bytes);
  await writeFile(join(await blobsDir(layoutDir), digestHex(digest)), bytes);
  return { mediaType, digest, size: bytes.byteLength };
}

/** Writes the `oci-layout` marker and `index.json`, which make the directory a layout. */
export async function writeLayoutIndex(layoutDir: string, index: ImageIndex): Promise<void> {
  await mkdir(layoutDir, { recursive: true });
  await writeFile(join(layoutDir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(join(layoutDir, 'index.json'), JSON.stringify(index));
}
