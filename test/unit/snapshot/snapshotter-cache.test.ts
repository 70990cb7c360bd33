// The snapshot records a snapshotter keeps in memory: what another snapshotter, or another
// process, makes, commits or removes on the same root is seen at the next operation, and a
// record torn by a power cut is a leftover, never an error.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { OverlaySnapshotter } from '../../../src/snapshot/index.js';
import { tempDir } from '../../helpers/tmp.js';

// The copy driver: these tests make and remove snapshots and never mount one.
const root = await tempDir('snapshot-cache');
const dir = join(root, 'snapshots');
const mine = new OverlaySnapshotter(root, { forceCopy: true });
const theirs = new OverlaySnapshotter(root, { forceCopy: true });

/** The directory of the snapshot whose record names `key`. */
async function snapshotDir(key: string): Promise<string> {
  for (const name of await readdir(dir)) {
    const text = await readFile(join(dir, name, 'info.json'), 'utf8').catch(() => '');
    if (text !== '' && (JSON.parse(text) as { key: string }).key === key) return join(dir, name);
  }
  throw new Error(`no snapshot ${key}`);
}

/** Runs `code` in a child process, with `snapshotter` on the same root. */
async function inOtherProcess(code: string): Promise<void> {
  const url = new URL('../../../src/snapshot/snapshotter.ts', import.meta.url).href;
  const script = `const { OverlaySnapshotter } = await import(${JSON.stringify(url)});
    const snapshotter = new OverlaySnapshotter(${JSON.stringify(root)}, { forceCopy: true });
    ${code}`;
  await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
}

test('removals, commits and new snapshots of another snapshotter are seen by one that keeps its records', async () => {
  await mine.prepare('first');
  assert.equal((await theirs.stat('first')).kind, 'active');
  await theirs.prepare('second');
  assert.equal((await mine.stat('second')).kind, 'active');

  await theirs.remove('first');
  await assert.rejects(mine.stat('first'), { code: 'NOT_FOUND' });
  await assert.rejects(mine.remove('first'), { code: 'NOT_FOUND' });

  await theirs.commit('second-done', 'second');
  await assert.rejects(mine.mounts('second'), { code: 'NOT_FOUND' });
  assert.equal((await mine.stat('second-done')).kind, 'committed');
  // Its own changes keep the records current too.
  await mine.prepare('on-top', 'second-done');
  await assert.rejects(theirs.remove('second-done'), { code: 'CONFLICT' });
  await mine.remove('on-top');
  await theirs.remove('second-done');
  assert.deepEqual(await mine.list(), []);
  await assert.rejects(mine.stat('second-done'), { code: 'NOT_FOUND' });
});

test('what another process does to the same root is seen at the next operation', async () => {
  await mine.prepare('kept-here');
  await mine.prepare('gone-there');
  await inOtherProcess(`await snapshotter.remove('gone-there'); await snapshotter.prepare('made-there');`);
  await assert.rejects(mine.stat('gone-there'), { code: 'NOT_FOUND' });
  assert.equal((await mine.stat('made-there')).kind, 'active');
  assert.equal((await mine.stat('kept-here')).kind, 'active');
  await assert.rejects(mine.prepare('made-there'), { code: 'ALREADY_EXISTS' });
  await mine.remove('made-there');
  await mine.remove('kept-here');
});

test('a record torn by a power cut is skipped, and removed by cleanup like a dead writer\'s temp dir', async () => {
  await mine.prepare('emptied');
  await mine.prepare('cut-short');
  await mine.prepare('whole');
  const emptied = await snapshotDir('emptied');
  const cutShort = await snapshotDir('cut-short');
  await writeFile(join(emptied, 'info.json'), '');
  await writeFile(join(cutShort, 'info.json'), '{"id":"abc","ke');
  const fresh = new OverlaySnapshotter(root, { forceCopy: true });
  // A listing from disk skips them rather than failing.
  assert.deepEqual((await fresh.list()).map((info) => info.key), ['whole']);
  await assert.rejects(fresh.stat('emptied'), { code: 'NOT_FOUND' });
  // The fresh snapshotter's start-up removed them; another cleanup finds nothing left.
  assert.deepEqual(await readdir(dir), [(await snapshotDir('whole')).slice(dir.length + 1)]);
  assert.deepEqual(await mine.cleanup(), []);
  await assert.rejects(mine.stat('cut-short'), { code: 'NOT_FOUND' });
  await mine.remove('whole');
});
