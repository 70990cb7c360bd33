// pruneBuildCache on a real temp store: step snapshots with their records, a cache mount and a
// stat cache, pruned by age, by size and by the until filter; records go before snapshots, and
// a prune waits for the builds in flight.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { digestBytes, type Digest } from '../../../src/content/index.js';
import { pruneBuildCache } from '../../../src/daemon/build/index.js';
import { buildCacheLock } from '../../../src/daemon/build/cache-lock.js';
import { engineSnapshotter, openEngine, type ImageEngine } from '../../../src/daemon/images/engine.js';
import { cacheRecordFile, cacheRecordsDir, listCacheRecords } from '../../../src/solver/index.js';
import { tempDir } from '../../helpers/tmp.js';

const hour = 3_600_000;

/** A committed step snapshot of `bytes` bytes over `parent`, named as ops/step.ts names them. */
async function step(engine: ImageEngine, bytes: number, parent?: string): Promise<string> {
  const snapshotter = engineSnapshotter(engine);
  const id = `kiln-run-${randomBytes(8).toString('hex')}`;
  await snapshotter.prepare(`${id}-active`, parent);
  await writeFile(join((await snapshotter.contentDir(`${id}-active`)).dir, 'data'), randomBytes(bytes));
  await snapshotter.commit(`${id}-result`, `${id}-active`);
  return `${id}-result`;
}

/** A cache record naming `ref`, last used `hoursAgo`. */
async function record(engine: ImageEngine, ref: string, hoursAgo: number): Promise<Digest> {
  const key = digestBytes(randomBytes(16));
  const when = new Date(Date.now() - hoursAgo * hour).toISOString();
  await mkdir(cacheRecordsDir(engine.root), { recursive: true });
  await writeFile(join(cacheRecordsDir(engine.root), cacheRecordFile(key)), JSON.stringify({ key, ref, createdAt: when, lastUsedAt: when }));
  return key;
}

async function stepKeys(engine: ImageEngine): Promise<string[]> {
  return (await engineSnapshotter(engine).list()).map((info) => info.key).filter((key) => key.startsWith('kiln-')).sort();
}

async function store(): Promise<ImageEngine> {
  const engine = await openEngine({ root: await tempDir('prune-store') });
  return engine;
}

describe('pruneBuildCache', () => {
  it('removes records, their snapshots, dangling leftovers and cache mounts, and counts the bytes', async () => {
    const engine = await store();
    const base = await step(engine, 50_000);
    const top = await step(engine, 20_000, base);
    const orphan = await step(engine, 10_000);
    await record(engine, base, 3);
    await record(engine, top, 2);
    await record(engine, 'kiln-run-0000000000000000-result', 1);
    await mkdir(join(engine.root, 'cache', 'mounts', 'abc'), { recursive: true });
    await writeFile(join(engine.root, 'cache', 'mounts', 'abc', 'f'), randomBytes(4096));
    const result = await pruneBuildCache(engine, {});
    assert.deepEqual(result.removed.map((entry) => entry.id).sort(), [base, top, orphan, 'abc'].sort());
    assert.ok(result.reclaimed >= 84_096, `reclaimed ${result.reclaimed}`);
    assert.deepEqual(await stepKeys(engine), []);
    assert.deepEqual((await listCacheRecords(engine.root)).records, []);
    assert.deepEqual(await readdir(join(engine.root, 'cache', 'mounts')), []);
  });

  it('with keep-storage evicts the least recently used first, and until keeps recent use', async () => {
    const engine = await store();
    const old = await step(engine, 40_000);
    const mid = await step(engine, 40_000);
    const fresh = await step(engine, 40_000);
    await record(engine, old, 30);
    await record(engine, mid, 20);
    await record(engine, fresh, 1);
    const kept = await pruneBuildCache(engine, { keepStorage: 100_000 });
    assert.deepEqual(kept.removed.map((entry) => entry.id), [old]);
    const recent = await pruneBuildCache(engine, { filters: ['until=24h'] });
    assert.deepEqual(recent.removed, []);
    const byAge = await pruneBuildCache(engine, { filters: ['until=10h'] });
    assert.deepEqual(byAge.removed.map((entry) => entry.id), [mid]);
    assert.deepEqual(await stepKeys(engine), [fresh]);
  });

  it('finishes what a prune killed midway left, even under the cap: a snapshot without records, a renamed mount', async () => {
    const engine = await store();
    const kept = await step(engine, 1000);
    await record(engine, kept, 1);
    const unrecorded = await step(engine, 1000);
    await mkdir(join(engine.root, 'cache', 'mounts', '.pruning-0123456789abcdef'), { recursive: true });
    const result = await pruneBuildCache(engine, { keepStorage: 1 << 30 });
    assert.deepEqual(result.removed.map((entry) => entry.id).sort(), ['.pruning-0123456789abcdef', unrecorded]);
    assert.deepEqual(await stepKeys(engine), [kept]);
  });

  it('refuses filters BuildKit does not know and malformed durations', async () => {
    const engine = await store();
    await assert.rejects(pruneBuildCache(engine, { filters: ['label=x'] }), /invalid filter 'label'/);
    await assert.rejects(pruneBuildCache(engine, { filters: ['until=soon'] }), /expects a duration/);
  });

  it('waits for the builds in flight before it removes anything', async () => {
    const engine = await store();
    const snapshot = await step(engine, 1000);
    await record(engine, snapshot, 5);
    const release = await buildCacheLock(engine).shared();
    let done = false;
    const prune = pruneBuildCache(engine, { all: true }).then((result) => {
      done = true;
      return result;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(done, false);
    assert.deepEqual(await stepKeys(engine), [snapshot]);
    release();
    assert.deepEqual((await prune).removed.map((entry) => entry.id), [snapshot]);
  });
});
