import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { ParallelGzip } from '../../../src/exporter/parallel-gzip.js';
import { closeWorkerPool } from '../../../src/workers/index.js';

after(closeWorkerPool);

const MiB = 1 << 20;

async function gzip(parts: Buffer[], level = 6): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(parts), new ParallelGzip(level), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) out.push(chunk);
  });
  return Buffer.concat(out);
}

/** Half random bytes, half text: one incompressible region, one that deflates well. */
function mixed(size: number): Buffer {
  const half = Math.floor(size / 2);
  return Buffer.concat([randomBytes(half), Buffer.from('a log line that repeats\n'.repeat(Math.ceil(size / 24))).subarray(0, size - half)]);
}

describe('parallel gzip', () => {
  for (const size of [0, 1, MiB - 1, MiB, MiB + 1, 5 * MiB + 123, 13 * MiB + 5]) {
    it(`gives a gzip stream gunzip reads back exactly (${size} bytes, split unevenly)`, async () => {
      const input = mixed(size);
      const cut = Math.floor(size / 3);
      const zipped = await gzip([input.subarray(0, cut), input.subarray(cut)]);
      assert.deepEqual(gunzipSync(zipped), input);
    });
  }

  it('stores random bytes rather than deflating them, and deflates text', async () => {
    const random = randomBytes(3 * MiB);
    const zippedRandom = await gzip([random]);
    assert.ok(zippedRandom.length < random.length * 1.01, `stored, not inflated: ${zippedRandom.length}`);
    const text = Buffer.from('0123456789abcdef'.repeat(3 * MiB / 16));
    assert.ok((await gzip([text])).length < text.length / 20);
  });

  it('gives the same bytes for the same input, however it arrives', async () => {
    const input = mixed(3 * MiB + 7);
    const digest = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
    const once = await gzip([input]);
    const pieces = await gzip(Array.from({ length: 100 }, (_, i) => input.subarray(Math.floor((i * input.length) / 100), Math.floor(((i + 1) * input.length) / 100))));
    assert.equal(digest(pieces), digest(once));
  });

  it('frames a random chunk as stored blocks between deflated ones, and ends on a stored one', async () => {
    const text = (size: number): Buffer => Buffer.from('a log line that repeats\n'.repeat(Math.ceil(size / 24))).subarray(0, size);
    for (const input of [Buffer.concat([text(9 * MiB), randomBytes(4 * MiB), text(5 * MiB)]), Buffer.concat([text(4 * MiB), randomBytes(3 * MiB)])]) {
      const zipped = await gzip([input]);
      assert.deepEqual(gunzipSync(zipped), input);
      assert.ok(zipped.length < input.length / 2, `the text is deflated: ${zipped.length} of ${input.length}`);
    }
  });

  it('deflates text that follows random bytes within one chunk (an asset beside sources in a tar)', async () => {
    const text = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `export const value${i} = ${i % 97};\n`).join(''));
    const input = Buffer.concat([randomBytes(4 * MiB + 700 * 1024), text]);
    const zipped = await gzip([input]);
    assert.deepEqual(gunzipSync(zipped), input);
    // The text (over 1 MiB) shrinks to well under half, whatever its chunk starts with.
    assert.ok(zipped.length < 4 * MiB + 700 * 1024 + text.length / 2, `${zipped.length} for ${text.length} bytes of text after the random ones`);
  });

  it('honours level 0 (stored) and level 9', async () => {
    const input = mixed(MiB + 10);
    assert.deepEqual(gunzipSync(await gzip([input], 0)), input);
    assert.deepEqual(gunzipSync(await gzip([input], 9)), input);
  });
});
