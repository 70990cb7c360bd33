// The fixed files of an OCI image layout (image-spec image-layout.md), shared by layout
// directories and the archives that are layouts in a tar: the `oci-layout` marker, index.json
// and blobs/<alg>/<hex>. Docker 25+ `docker save` writes exactly this, plus manifest.json.
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { digestHex, type Digest } from '../content/index.js';
import { KilnError } from '../util/errors.js';

export const layoutMarkerFile = 'oci-layout';
export const indexFile = 'index.json';
export const layoutVersion = '1.0.0';
export const layoutMarker = JSON.stringify({ imageLayoutVersion: layoutVersion });

/** JSON files of a layout or archive are read whole; anything larger is not one of them. */
export const maxJsonFileSize = 4 * 1024 * 1024;

/** A blob's path inside a layout, with '/' separators as in a tar. */
export function blobEntryName(digest: Digest): string {
  return `blobs/sha256/${digestHex(digest)}`;
}

export function blobFilePath(dir: string, digest: Digest): string {
  return join(dir, 'blobs', 'sha256', digestHex(digest));
}

/** Reads a small JSON file, refusing one over the cap before reading it. */
export async function readJsonFile(path: string): Promise<unknown> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    if (size > maxJsonFileSize) throw tooLarge(path);
    return parseJson(await file.readFile(), path);
  } finally {
    await file.close();
  }
}

export function parseJson(bytes: Uint8Array, where: string): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new KilnError('INVALID_ARGUMENT', `${where} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

export function tooLarge(where: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `${where} is larger than the ${maxJsonFileSize} bytes allowed for a JSON file of an image layout`);
}

/** The marker's version check: 1.0.0 is the only layout version image-spec defines. */
export function checkLayoutMarker(marker: unknown, where: string): void {
  const version = (marker as { imageLayoutVersion?: unknown } | null)?.imageLayoutVersion;
  if (version !== layoutVersion) {
    throw new KilnError('INVALID_ARGUMENT', `${where} declares imageLayoutVersion ${JSON.stringify(version)}; only "${layoutVersion}" is supported`);
  }
}
