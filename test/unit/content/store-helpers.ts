// Shared by the content store tests: a store in a fresh temp dir, and stream draining.
import type { Readable } from 'node:stream';
import { tempDir } from '../../helpers/tmp.js';
import { LocalContentStore, type BlobRef, type ContentStore } from '../../../src/content/index.js';

/** A store under a temp dir that the calling test file removes in its `after` hook. */
export async function tempStore(): Promise<{ root: string; store: LocalContentStore }> {
  const root = await tempDir('content');
  return { root, store: new LocalContentStore(root) };
}

export async function drain(stream: Readable): Promise<Buffer> {
  return Buffer.concat(await stream.toArray());
}

export async function put(store: ContentStore, ref: string, ...chunks: Uint8Array[]): Promise<BlobRef> {
  const writer = await store.writer(ref);
  for (const chunk of chunks) await writer.write(chunk);
  return writer.commit();
}
