// Work shared by name: started once for all its waiters, and stopped only when every waiter
// has given up.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SharedWork } from '../../../src/util/shared-work.js';

/** Work that runs until released or aborted, counting its starts. */
function controllable(): { start: (signal: AbortSignal) => Promise<string>; release: () => void; starts: AbortSignal[] } {
  const starts: AbortSignal[] = [];
  let release = (): void => undefined;
  const start = (signal: AbortSignal): Promise<string> => {
    starts.push(signal);
    return new Promise<string>((resolve, reject) => {
      release = () => resolve('done');
      signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true });
    });
  };
  return { start, release: () => release(), starts };
}

test('waiters joining one name share one run of the work', async () => {
  const work = new SharedWork<string>();
  const { start, release, starts } = controllable();
  const first = work.join('layer', new AbortController().signal, start);
  const second = work.join('layer', new AbortController().signal, start);
  await Promise.resolve();
  release();
  assert.deepEqual(await Promise.all([first, second]), ['done', 'done']);
  assert.equal(starts.length, 1);
  // Once done, the name starts afresh.
  const third = work.join('layer', undefined, start);
  await Promise.resolve();
  release();
  assert.equal(await third, 'done');
  assert.equal(starts.length, 2);
});

test('one waiter giving up leaves the work to the others; the last one stops it', async () => {
  const work = new SharedWork<string>();
  const { start, starts } = controllable();
  const a = new AbortController();
  const b = new AbortController();
  const first = work.join('layer', a.signal, start);
  const second = work.join('layer', b.signal, start);
  await Promise.resolve();
  a.abort(new Error('a gave up'));
  await assert.rejects(first, /a gave up/);
  assert.equal(starts[0]?.aborted, false);
  b.abort(new Error('b gave up'));
  await assert.rejects(second, /b gave up/);
  assert.equal(starts[0]?.aborted, true);
});

test('a waiter without a signal keeps the work going whoever else gives up', async () => {
  const work = new SharedWork<string>();
  const { start, release, starts } = controllable();
  const a = new AbortController();
  const given = work.join('layer', a.signal, start);
  const pinned = work.join('layer', undefined, start);
  await Promise.resolve();
  a.abort(new Error('gave up'));
  await assert.rejects(given, /gave up/);
  assert.equal(starts[0]?.aborted, false);
  release();
  assert.equal(await pinned, 'done');
});

test('a waiter already aborted is refused without starting anything', async () => {
  const work = new SharedWork<string>();
  const { start, starts } = controllable();
  await assert.rejects(work.join('layer', AbortSignal.abort(new Error('too late')), start), /too late/);
  assert.equal(starts.length, 0);
});
