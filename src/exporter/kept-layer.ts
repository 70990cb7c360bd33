// A step's layer, kept beside its committed snapshot once made: a rebuild from the cache then
// diffs and compresses nothing. The file is a fact about the snapshot's content, so it lives
// (and goes) with the snapshot; layers clamped to a SOURCE_DATE_EPOCH are kept apart, under
// a name per epoch, since they differ from the unclamped one.
import { readFile } from 'node:fs/promises';
import type { ContentStore, Digest } from '../content/index.js';
import type { Descriptor } from '../image/index.js';
import type { OverlaySnapshotter } from '../snapshot/index.js';
import { writeFileAtomic } from '../util/atomic-file.js';

export interface KeptLayer {
  descriptor: Descriptor;
  diffId: Digest;
  /** When the layer was made: an image's `created` is its newest layer's. */
  created: string;
}

/** The file name for the unclamped layer (undefined epoch) or the one clamped to `epoch`. */
export function keptLayerFile(epoch?: Date): string {
  return epoch === undefined ? 'layer-tar-gzip.json' : `layer-tar-gzip-epoch-${Math.floor(epoch.getTime() / 1000)}.json`;
}

/** The kept layer of snapshot `key`, if one was kept and its blob is still in `content`. */
export async function readKeptLayer(content: ContentStore, snapshotter: OverlaySnapshotter, key: string, epoch?: Date): Promise<KeptLayer | undefined> {
  try {
    const kept = JSON.parse(await readFile(await snapshotter.derivedFile(key, keptLayerFile(epoch)), 'utf8')) as KeptLayer;
    // The blob may have been garbage-collected since: then the layer is made again.
    return (await content.info(kept.descriptor.digest)) === undefined ? undefined : kept;
  } catch {
    return undefined;
  }
}

export async function keepLayer(snapshotter: OverlaySnapshotter, key: string, layer: KeptLayer, epoch?: Date): Promise<void> {
  await writeFileAtomic(await snapshotter.derivedFile(key, keptLayerFile(epoch)), `${JSON.stringify(layer)}\n`, { durable: false });
}
