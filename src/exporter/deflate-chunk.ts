// One chunk of a layer's gzip stream, compressed on a worker thread (parallel-gzip.ts). Each
// chunk is raw deflate on its own, ended on a byte boundary by a sync flush (the last by the
// final block), so the chunks concatenate into one valid deflate stream, as pigz makes them.
// A chunk that does not compress (random bytes, already compressed files) is written as
// stored blocks: deflating it would cost ~25 ms per MiB here to save nothing.
import { constants, crc32, deflateRawSync } from 'node:zlib';

export interface DeflateTask {
  data: Uint8Array;
  level: number;
  /** The stream's last chunk: ends with the final block. */
  final: boolean;
}

/** Bytes of a chunk compressed at level 1 to judge whether the whole chunk is worth deflating. */
const SAMPLE = 32 * 1024;
/** A sample that shrinks by less than this share is taken for incompressible. */
const MIN_SAVING = 0.03;

function incompressible(data: Uint8Array): boolean {
  if (data.length < 2 * SAMPLE) return false;
  const sample = data.subarray(0, SAMPLE);
  return deflateRawSync(sample, { level: 1 }).length > sample.length * (1 - MIN_SAVING);
}

export interface DeflatedChunk {
  deflated: Uint8Array;
  /** The CRC-32 of the chunk's input, for the gzip trailer (crc32-combine.ts). */
  crc: number;
}

export function deflateChunk(task: DeflateTask): DeflatedChunk {
  const level = task.level > 0 && incompressible(task.data) ? 0 : task.level;
  const deflated = deflateRawSync(task.data, {
    level,
    finishFlush: task.final ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
  });
  return { deflated, crc: crc32(task.data) };
}
