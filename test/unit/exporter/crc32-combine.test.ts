// The CRC-32 of two runs end to end, from the CRC-32 of each: what zlib.crc32 gives for the
// whole, for empty runs, runs shorter than a word and runs longer than a chunk.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';
import { combineCrc32 } from '../../../src/exporter/crc32-combine.js';

test('combining two CRC-32s gives the CRC-32 of both runs end to end', () => {
  for (const [first, second] of [[0, 0], [1, 0], [0, 5], [3, 1], [100, 1 << 20], [12_345, 777], [1 << 20, (1 << 20) + 3]] as const) {
    const a = randomBytes(first);
    const b = randomBytes(second);
    assert.equal(combineCrc32(crc32(a), crc32(b), b.length), crc32(Buffer.concat([a, b])), `${first} + ${second} bytes`);
  }
});

test('chunk by chunk, the combined CRC-32 is the stream\'s', () => {
  const chunks = Array.from({ length: 9 }, (_, at) => randomBytes(1000 * at + 1));
  const combined = chunks.reduce((crc, chunk) => combineCrc32(crc, crc32(chunk), chunk.length), 0);
  assert.equal(combined, crc32(Buffer.concat(chunks)));
});
