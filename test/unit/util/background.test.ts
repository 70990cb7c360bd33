import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { BackgroundWork } from '../../../src/util/background.js';

test('settled() waits for the work added so far and for work added meanwhile', async () => {
  const work = new BackgroundWork();
  const done: string[] = [];
  work.add('first', delay(20).then(() => {
    done.push('first');
    // Added while settled() waits: it is waited for too.
    work.add('second', delay(20).then(() => done.push('second')));
  }));
  await work.settled();
  assert.deepEqual(done, ['first', 'second']);
  await work.settled();
});

test('a failure goes to onError with what failed, and settled() still resolves', async () => {
  const reported: string[] = [];
  const work = new BackgroundWork((what, err) => reported.push(`${what}: ${(err as Error).message}`));
  work.add('deleting x', Promise.reject(new Error('EBUSY')));
  work.add('deleting y', Promise.resolve());
  await work.settled();
  assert.deepEqual(reported, ['deleting x: EBUSY']);
});
