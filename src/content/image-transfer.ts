// The local store as both ends of an image copy (src/image/copy.ts): the source of push and
// save, the target of pull and load. Blobs go through the content store's ingest, so they
// become visible only whole and verified; the image name is recorded last, once everything it
// points at is in place.
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ImageSource, ImageTarget } from '../image/transfer.js';
import type { Descriptor } from '../image/types.js';
import type { ImageStore } from './images.js';
import type { LocalContentStore } from './store.js';
import type { ContentStore, ContentWriter } from './types.js';

const writeBatchBytes = 1 << 20;

export class StoreImageSource implements ImageSource {
  readonly location = 'the local image store';
  readonly verifies = true;

  constructor(private readonly store: ContentStore) {}

  fetch(desc: Descriptor): Promise<Readable> {
    return this.store.read(desc);
  }
}

export interface StoreImageTargetOptions {
  /** Full image names to point at the copied root; none for content-only copies. */
  names?: string[];
  labels?: Record<string, string>;
  concurrency?: number;
}

export class StoreImageTarget implements ImageTarget {
  readonly location = 'the local image store';
  readonly concurrency: number;
  /** The ingest commit checks size and digest before the blob becomes visible. */
  readonly verifies = true;

  constructor(
    private readonly store: LocalContentStore,
    private readonly images: ImageStore,
    private readonly options: StoreImageTargetOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 4;
  }

  async exists(desc: Descriptor): Promise<boolean> {
    const info = await this.store.reuse(desc.digest);
    return info !== undefined && info.size === desc.size;
  }

  async writeBlob(desc: Descriptor, content: Readable): Promise<void> {
    await this.ingest(desc, async (writer) => {
      // Network chunks are small (16-64 KiB); gathering them into larger writes saves
      // system calls and thread-pool round trips.
      let batch: Buffer[] = [];
      let batched = 0;
      for await (const chunk of content) {
        batch.push(chunk as Buffer);
        batched += (chunk as Buffer).byteLength;
        if (batched >= writeBatchBytes) {
          await writer.write(Buffer.concat(batch, batched));
          batch = [];
          batched = 0;
        }
      }
      if (batched > 0) await writer.write(Buffer.concat(batch, batched));
    });
  }

  async writeManifest(desc: Descriptor, bytes: Uint8Array): Promise<void> {
    if (await this.exists(desc)) return;
    await this.ingest(desc, (writer) => writer.write(bytes));
  }

  async finish(root: Descriptor): Promise<void> {
    for (const name of this.options.names ?? []) {
      const update = { name, target: root, ...(this.options.labels === undefined ? {} : { labels: this.options.labels }) };
      await this.images.put(update);
    }
  }

  /** A unique ref per write: two copies of the same blob at once both succeed, the second commit being a no-op. */
  private async ingest(desc: Descriptor, fill: (writer: ContentWriter) => Promise<void>): Promise<void> {
    const writer = await this.store.writer(`${desc.digest}-${randomUUID()}`, { digest: desc.digest, size: desc.size });
    try {
      await fill(writer);
      await writer.commit(desc.size, desc.digest);
    } catch (err) {
      await writer.abort();
      throw err;
    }
  }
}
