// Reading back the small documents (manifests, indexes, configs) a load has just put into the
// content store. The store verifies them as they stream; the cap keeps a hostile archive from
// making us buffer a layer that a manifest claims is a config.
import type { BlobRef, ContentStore } from '../content/index.js';
import { KilnError } from '../util/errors.js';
import { maxJsonFileSize } from './layout-files.js';

/** The bytes of a stored document; `entry` names the archive entry it came from, for errors. */
export async function readStoredDocument(store: ContentStore, blob: BlobRef, entry: string): Promise<Buffer> {
  if (blob.size > maxJsonFileSize) {
    throw new KilnError('INVALID_ARGUMENT', `archive entry ${entry} is ${blob.size} bytes, more than the ${maxJsonFileSize} allowed for an image document`);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of await store.read(blob)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Runs a parser over an archive's document, naming the entry when the document is invalid. */
export function parseEntry<T>(parse: (bytes: Uint8Array) => T, bytes: Uint8Array, entry: string): T {
  try {
    return parse(bytes);
  } catch (err) {
    throw new KilnError('INVALID_ARGUMENT', `archive entry ${entry} is invalid: ${(err as Error).message}`, { cause: err });
  }
}
