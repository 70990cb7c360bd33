// Unpacking one layer blob into a directory of its own: read from the content store (a
// verified stream), decompressed by media type, hashed as it streams into applyLayer, and
// refused unless the uncompressed bytes match the image config's diff ID.
import type { Hash } from 'node:crypto';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { digestOf, newDigester, type ContentStore, type Digest } from '../content/index.js';
import { layerCompression, type Descriptor } from '../image/index.js';
import { KilnError } from '../util/errors.js';
import { applyLayer } from './apply.js';

/** Node 22.15+ has zstd in zlib; Node 20 does not, and kiln takes no native dependency. */
function zstdDecompressor(layer: Descriptor): Transform {
  const create = (zlib as { createZstdDecompress?: () => Transform }).createZstdDecompress;
  if (create === undefined) {
    throw new KilnError('NOT_IMPLEMENTED', `layer ${layer.digest} is zstd-compressed, which this Node.js cannot decompress`, {
      hint: 'use gzip layers, or run kiln on a Node.js whose zlib has zstd',
    });
  }
  return create();
}

function decompressor(layer: Descriptor): Transform | undefined {
  const compression = layerCompression(layer.mediaType);
  if (compression === 'gzip') return zlib.createGunzip();
  if (compression === 'zstd') return zstdDecompressor(layer);
  return undefined;
}

async function* hashing(source: AsyncIterable<Buffer>, hash: Hash): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    hash.update(chunk);
    yield chunk;
  }
}

/** Applies the layer into `target` with overlay whiteouts; throws on a diff ID mismatch. */
export async function unpackLayer(content: ContentStore, layer: Descriptor, diffId: Digest, target: string, signal?: AbortSignal): Promise<void> {
  const decompress = decompressor(layer);
  const blob = await content.read(layer);
  let tar: Readable = blob;
  let decompressing: Promise<void> | undefined;
  if (decompress !== undefined) {
    decompressing = pipeline(blob, decompress);
    decompressing.catch(() => undefined);
    tar = decompress;
  }
  const hash = newDigester();
  try {
    await applyLayer(target, Readable.from(hashing(tar, hash)), { whiteouts: 'overlay', signal });
    await decompressing;
  } finally {
    blob.destroy();
    decompress?.destroy();
  }
  const actual = digestOf(hash);
  if (actual !== diffId) {
    throw new KilnError('INVALID_ARGUMENT', `layer ${layer.digest} unpacks to ${actual}, but the image config gives diff ID ${diffId}`, {
      hint: 'the image is corrupt or was tampered with; nothing of the layer was kept',
    });
  }
}
