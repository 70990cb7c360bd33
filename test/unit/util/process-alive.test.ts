// A live process counts as alive; one gone, or a zombie its parent never reaped (what a
// daemon killed after its CLI exited becomes under a minimal init), does not.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { processAlive } from '../../../src/util/process-alive.js';

test('a zombie counts as gone, its unreaping parent as alive', async () => {
  // The shell starts a child, then becomes `sleep`, which never reaps it. The child outlives
  // the exec (a child that exited at once could be reaped by the shell first: a CI flake).
  const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const [line] = (await once(parent.stdout, 'data')) as [Buffer];
    const zombie = Number(line.toString().trim());
    for (let waited = 0; processAlive(zombie) && waited < 5000; waited += 20) await delay(20);
    assert.equal(processAlive(zombie), false);
    // Still there for kill(2): a zombie, not a process already gone.
    assert.doesNotThrow(() => process.kill(zombie, 0));
    assert.equal(processAlive(parent.pid), true);
  } finally {
    parent.kill('SIGKILL');
  }
});

test('no pid, a nonsense pid or a pid nobody has is not alive; this process is', () => {
  assert.equal(processAlive(undefined), false);
  assert.equal(processAlive(0), false);
  assert.equal(processAlive(-4), false);
  assert.equal(processAlive(2 ** 22 + 17), false);
  assert.equal(processAlive(process.pid), true);
});
