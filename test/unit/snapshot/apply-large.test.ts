// A layer is streamed: a large file goes to disk chunk by chunk, never held in memory.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { applyLayer } from '../../../src/snapshot/index.js';
import { removeTempDirs, tempDir } from './tar-helpers.js';

after(removeTempDirs);

const MiB = 1024 * 1024;
const fileSize = 64 * MiB;

/** 1 MiB chunks, each filled with its own index so that misplaced data would show. */
function chunk(index: number): Buffer {
  return Buffer.alloc(MiB, index & 0xff);
}

function generatedLayer(): Readable {
  const packer = pack();
  const sink = packer.entry({ name: 'big.bin', size: fileSize, mode: 0o644 });
  void (async () => {
    const last = fileSize / MiB - 1;
    for (let i = 0; i < last; i += 1) {
      if (!sink.write(chunk(i))) await once(sink, 'drain');
    }
    sink.end(chunk(last));
    packer.finalize();
  })();
  return Readable.from(packer);
}

test('a 64 MiB file is applied without holding it in memory', async () => {
  const target = await tempDir();
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
  try {
    const result = await applyLayer(target, generatedLayer());
    assert.deepEqual(result, { entries: 1, bytes: fileSize, xattrs: 0, skippedXattrs: 0, xattrWarnings: [] });
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  assert.ok(peak - baseline < 50 * MiB, `rss grew by ${((peak - baseline) / MiB).toFixed(1)} MiB`);

  const path = join(target, 'big.bin');
  assert.equal((await stat(path)).size, fileSize);
  const handle = await open(path);
  try {
    for (const index of [0, 1, 37, 63]) {
      const { buffer } = await handle.read(Buffer.alloc(16), 0, 16, index * MiB + MiB - 16);
      assert.deepEqual(buffer, Buffer.alloc(16, index));
    }
  } finally {
    await handle.close();
  }
});
