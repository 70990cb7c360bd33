// One chunk of a layer's gzip stream (parallel-gzip.ts). Each chunk is raw deflate on its own,
// ended on a byte boundary by a sync flush (the last by the final block), so the chunks
// concatenate into one valid deflate stream, as pigz makes them. A chunk that does not
// compress (random bytes, already compressed files) is framed as stored blocks where it is,
// without a trip to a worker: deflating it would cost ~4 ms per MiB to save nothing, and
// moving it to a thread and back cost the event loop more than framing it.
import { constants, crc32, deflateRawSync } from 'node:zlib';

export interface DeflateTask {
  data: Uint8Array;
  level: number;
  /** The stream's last chunk: ends with the final block. */
  final: boolean;
}

export interface DeflatedChunk {
  deflated: Uint8Array;
  /** The CRC-32 of the chunk's input, for the gzip trailer (crc32-combine.ts). */
  crc: number;
}

/** Bytes of a chunk compressed at level 1 to judge whether the whole chunk is worth deflating. */
const SAMPLE = 32 * 1024;
/** A sample that shrinks by less than this share is taken for incompressible. */
const MIN_SAVING = 0.03;
/** A stored block holds at most this many bytes (its LEN is 16 bits). */
const STORED_MAX = 0xffff;

/** Whether deflating `data` is not worth it, judged by its first bytes. */
function incompressible(data: Uint8Array): boolean {
  if (data.length < 2 * SAMPLE) return false;
  const sample = data.subarray(0, SAMPLE);
  return deflateRawSync(sample, { level: 1 }).length > sample.length * (1 - MIN_SAVING);
}

/**
 * `data` as stored deflate blocks: each a header byte (BFINAL on the stream's very last, type
 * 00, padded to the byte), LEN and its complement, then the bytes. They start and end on a
 * byte boundary, as every chunk of the stream does.
 */
export function storedBlocks(data: Uint8Array, final: boolean): DeflatedChunk {
  const blocks = Math.max(1, Math.ceil(data.length / STORED_MAX));
  const out = Buffer.allocUnsafe(data.length + 5 * blocks);
  let at = 0;
  for (let block = 0; block < blocks; block++) {
    const piece = data.subarray(block * STORED_MAX, (block + 1) * STORED_MAX);
    out[at] = final && block === blocks - 1 ? 1 : 0;
    out.writeUInt16LE(piece.length, at + 1);
    out.writeUInt16LE(~piece.length & 0xffff, at + 3);
    out.set(piece, at + 5);
    at += 5 + piece.length;
  }
  return { deflated: out, crc: crc32(data) };
}

/**
 * A chunk is judged in segments of this size: a tar puts a random asset and a tree of sources
 * side by side, and a chunk judged by its head alone stored the sources raw with the asset.
 */
const SEGMENT = 256 * 1024;

/** Whether every part of `data` (its head, middle and tail) is not worth deflating. */
export function incompressibleThroughout(data: Uint8Array): boolean {
  if (data.length < 2 * SAMPLE) return false;
  const middle = Math.floor(data.length / 2);
  return incompressible(data) && incompressible(data.subarray(middle, middle + 2 * SAMPLE)) && incompressible(data.subarray(data.length - 2 * SAMPLE));
}

/**
 * Deflates a chunk at its level, segment by segment: each incompressible segment as stored
 * blocks, the others deflated, all ending on a byte boundary (a sync flush), so they follow one
 * another in one stream. The workers' task.
 */
export function deflateChunk(task: DeflateTask): DeflatedChunk {
  const parts: Uint8Array[] = [];
  for (let at = 0; at === 0 || at < task.data.length; at += SEGMENT) {
    const segment = task.data.subarray(at, at + SEGMENT);
    const final = task.final && at + SEGMENT >= task.data.length;
    parts.push(incompressible(segment)
      ? storedBlocks(segment, final).deflated
      : deflateRawSync(segment, { level: task.level, finishFlush: final ? constants.Z_FINISH : constants.Z_SYNC_FLUSH }));
  }
  return { deflated: parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts), crc: crc32(task.data) };
}
