import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { drain, tempStore } from './store-helpers.js';

// Random bytes cut at random points: whatever the chunking, the blob is the concatenation.
const chunkedBytes = fc
  .tuple(fc.uint8Array({ maxLength: 4096 }), fc.array(fc.nat(), { maxLength: 8 }))
  .map(([bytes, cuts]) => {
    const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort((a, b) => a - b);
    const chunks: Uint8Array[] = [];
    let start = 0;
    for (const point of [...points, bytes.length]) {
      chunks.push(bytes.subarray(start, point));
      start = point;
    }
    return { bytes, chunks };
  });

test('commit gives the sha256 of the concatenated chunks and read returns the same bytes', async () => {
  const { store } = await tempStore();
  let n = 0;
  await fc.assert(
    fc.asyncProperty(chunkedBytes, async ({ bytes, chunks }) => {
      const writer = await store.writer(`prop-${n++}`);
      for (const chunk of chunks) await writer.write(chunk);
      const desc = await writer.commit();
      assert.equal(desc.digest, `sha256:${createHash('sha256').update(bytes).digest('hex')}`);
      assert.equal(desc.size, bytes.length);
      assert.deepEqual(new Uint8Array(await drain(await store.read(desc))), bytes);
    }),
    { numRuns: 100 },
  );
});
