// Restart policies: --restart's syntax, the Engine API's form, and when a container comes back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkRestartWithAutoRemove, parseRestartPolicy, restartDelayMs, restartPolicyText, restartsAfterExit, restartsWithDaemon, stopsByHand,
  type RestartPolicy,
} from '../../../src/daemon/containers/restart-policy.js';
import type { ContainerRecord, ContainerState } from '../../../src/daemon/containers/record.js';
import { kilnErrorOf } from '../../helpers/errors.js';

function record(policy: RestartPolicy | undefined, state: Partial<ContainerState> = {}, stopSignal?: string): ContainerRecord {
  return {
    id: 'a'.repeat(64), name: 'c', image: 'busybox:1', imageId: `sha256:${'b'.repeat(64)}`, created: new Date(0).toISOString(),
    config: {
      entrypoint: [], cmd: ['true'], env: [], workingDir: '/', user: '', network: 'none', autoRemove: false, openStdin: false,
      ...(policy === undefined ? {} : { restartPolicy: policy }), ...(stopSignal === undefined ? {} : { stopSignal }),
    },
    state: { status: 'exited', ...state },
  };
}

describe('parseRestartPolicy', () => {
  it('reads the four names and on-failure\'s retry count', () => {
    assert.deepEqual(parseRestartPolicy('no'), { name: 'no', maximumRetryCount: 0 });
    assert.deepEqual(parseRestartPolicy('always'), { name: 'always', maximumRetryCount: 0 });
    assert.deepEqual(parseRestartPolicy('unless-stopped'), { name: 'unless-stopped', maximumRetryCount: 0 });
    assert.deepEqual(parseRestartPolicy('on-failure:3'), { name: 'on-failure', maximumRetryCount: 3 });
  });

  it('refuses anything else, naming the flag', () => {
    for (const bad of ['sometimes', 'always:3', 'on-failure:x', 'on-failure:1:2', '']) {
      const err = kilnErrorOf(() => parseRestartPolicy(bad));
      assert.equal(err.code, 'INVALID_ARGUMENT', bad);
      assert.equal(err.details['flag'], '--restart');
    }
    assert.throws(() => checkRestartWithAutoRemove(parseRestartPolicy('always'), true), /conflicting options: --restart and --rm/);
    checkRestartWithAutoRemove(parseRestartPolicy('no'), true);
  });

  it('writes the Engine API\'s form as the flag', () => {
    assert.equal(restartPolicyText('', 0), undefined);
    assert.equal(restartPolicyText('no', 0), undefined);
    assert.equal(restartPolicyText('on-failure', 2), 'on-failure:2');
    assert.equal(restartPolicyText('on-failure', 0), 'on-failure');
    assert.equal(restartPolicyText('always', 5), 'always');
  });
});

describe('when a container restarts', () => {
  const always = parseRestartPolicy('always');
  const unlessStopped = parseRestartPolicy('unless-stopped');
  const onFailure = parseRestartPolicy('on-failure:2');

  it('after it exits: by its policy, never once stopped by hand, on-failure within its count', () => {
    assert.equal(restartsAfterExit(record(undefined), 1), false);
    assert.equal(restartsAfterExit(record(always), 0), true);
    assert.equal(restartsAfterExit(record(always, { manuallyStopped: true }), 0), false);
    assert.equal(restartsAfterExit(record(onFailure), 0), false);
    assert.equal(restartsAfterExit(record(onFailure, { restartCount: 1 }), 3), true);
    assert.equal(restartsAfterExit(record(onFailure, { restartCount: 2 }), 3), false);
    assert.equal(restartsAfterExit(record(parseRestartPolicy('on-failure')), 3), true);
  });

  it('with the daemon: always even when stopped by hand, unless-stopped only when not', () => {
    assert.equal(restartsWithDaemon(record(always, { manuallyStopped: true })), true);
    assert.equal(restartsWithDaemon(record(unlessStopped, { manuallyStopped: true })), false);
    assert.equal(restartsWithDaemon(record(unlessStopped, { exitCode: 137 })), true);
    assert.equal(restartsWithDaemon(record(onFailure, { exitCode: 137 })), true);
    assert.equal(restartsWithDaemon(record(onFailure, { exitCode: 0 })), false);
  });

  it('stops by hand with a signal that ends the container, its own stop signal included', () => {
    assert.equal(stopsByHand('SIGKILL', record(always)), true);
    assert.equal(stopsByHand('SIGTERM', record(always)), true);
    assert.equal(stopsByHand('SIGUSR1', record(always)), false);
    assert.equal(stopsByHand('SIGUSR1', record(always, {}, 'SIGUSR1')), true);
  });

  it('waits twice as long each time, from 100 ms to a minute, and anew after a steady run', () => {
    assert.equal(restartDelayMs(undefined, 50), 100);
    assert.equal(restartDelayMs(100, 50), 200);
    assert.equal(restartDelayMs(40_000, 50), 60_000);
    assert.equal(restartDelayMs(6_400, 10_000), 100);
  });
});
