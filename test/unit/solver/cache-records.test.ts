// The persistent cache records: a result saved by one solver is found by another after a
// restart; a result whose data has gone, or a torn record, is a miss (the step runs again).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { digestBytes, digestHex } from '../../../src/content/index.js';
import { cacheKey, cacheRecordsDir, RecordCacheManager, Solver, type Vertex } from '../../../src/solver/index.js';
import { tempDir } from '../../helpers/tmp.js';

const root = await tempDir('cache-records');

/** Results are names of "snapshots" that exist while they are in `alive`. */
const alive = new Set<string>();
const codec = {
  encode: (result: string) => result,
  decode: async (ref: string) => (alive.has(ref) ? ref : undefined),
};

let runs = 0;
const step: Vertex<string> = {
  digest: digestBytes('step'), inputs: [], name: 'RUN make',
  op: {
    outputs: 1,
    cacheMap: async () => ({ digest: digestBytes('make'), deps: [] }),
    exec: async () => {
      runs++;
      const snapshot = `snapshot-${runs}`;
      alive.add(snapshot);
      return [snapshot];
    },
  },
};

test('a saved result is found by a new solver on the same root, and a stale last use stamped again', async () => {
  assert.equal(await new Solver(new RecordCacheManager(root, codec), { jobs: 1 }).solve({ vertex: step, index: 0 }), 'snapshot-1');
  const records = new RecordCacheManager(root, codec);
  const key = cacheKey(digestBytes('make'), 0, []);
  const saved = await records.read(key);
  assert.equal(saved?.ref, 'snapshot-1');
  // A hit soon after leaves the stamp: ranking by the minute needs no write per hit.
  assert.equal(await new Solver(records, { jobs: 1 }).solve({ vertex: step, index: 0 }), 'snapshot-1');
  assert.equal((await records.read(key))?.lastUsedAt, saved?.lastUsedAt);
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
  await writeFile(join(cacheRecordsDir(root), `${digestHex(key)}.json`), JSON.stringify({ ...saved, lastUsedAt: hourAgo }));
  assert.equal(await new Solver(records, { jobs: 1 }).solve({ vertex: step, index: 0 }), 'snapshot-1');
  assert.equal(runs, 1);
  const used = await records.read(key);
  assert.ok(used !== undefined && saved !== undefined && used.lastUsedAt > hourAgo && used.createdAt === saved.createdAt);
});

test('a result whose data has gone, or a torn record, is a miss', async () => {
  alive.clear();
  assert.equal(await new Solver(new RecordCacheManager(root, codec), { jobs: 1 }).solve({ vertex: step, index: 0 }), 'snapshot-2');
  const key = digestBytes('not a real key');
  const records = new RecordCacheManager(root, codec);
  await records.save(key, 'snapshot-2');
  assert.equal(await records.load(key), 'snapshot-2');
  await writeFile(join(cacheRecordsDir(root), `${digestHex(key)}.json`), '{"key":"sha256:');
  assert.equal(await records.load(key), undefined);
  assert.equal(await records.read(key), undefined);
});
