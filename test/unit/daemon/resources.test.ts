import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { containerLimits, parseCpus, parseMemoryBytes } from '../../../src/daemon/containers/resources.js';
import { kilnErrorOf } from '../../helpers/errors.js';

describe('parseMemoryBytes (go-units RAMInBytes)', () => {
  it('reads binary multiples with or without i and b', () => {
    assert.equal(parseMemoryBytes('512'), 512);
    assert.equal(parseMemoryBytes('16m'), 16 * 1024 * 1024);
    assert.equal(parseMemoryBytes('1g'), 1024 ** 3);
    assert.equal(parseMemoryBytes('1GB'), 1024 ** 3);
    assert.equal(parseMemoryBytes('64MiB'), 64 * 1024 * 1024);
    assert.equal(parseMemoryBytes('1.5k'), 1536);
    assert.equal(parseMemoryBytes('10 m'), 10 * 1024 * 1024);
  });

  it('refuses what docker refuses, naming the flag', () => {
    for (const bad of ['', '1x', 'm', '-1m', '1mm', '1.2.3m']) {
      const err = kilnErrorOf(() => parseMemoryBytes(bad));
      assert.equal(err.code, 'INVALID_ARGUMENT', bad);
      assert.match(err.message, /for "--memory" flag/);
    }
  });
});

describe('parseCpus', () => {
  it('takes decimal fractions within the machine\'s CPUs', () => {
    assert.equal(parseCpus('0.5', 2), 0.5);
    assert.equal(parseCpus('2', 2), 2);
    assert.equal(parseCpus('.25', 2), 0.25);
    assert.equal(parseCpus('0', 2), 0);
  });

  it('gives docker\'s range error beyond them', () => {
    assert.match(kilnErrorOf(() => parseCpus('3', 2)).message, /range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available/);
    assert.equal(kilnErrorOf(() => parseCpus('0.001', 2)).code, 'INVALID_ARGUMENT');
    assert.equal(kilnErrorOf(() => parseCpus('one', 2)).code, 'INVALID_ARGUMENT');
  });
});

describe('containerLimits', () => {
  it('leaves out what was not asked for, and zero limits', () => {
    assert.deepEqual(containerLimits({}), {});
    assert.deepEqual(containerLimits({ memory: '0', cpus: '0' }), {});
  });

  it('takes the image\'s STOPSIGNAL unless --stop-signal overrides it', () => {
    assert.deepEqual(containerLimits({}, 'SIGQUIT'), { stopSignal: 'SIGQUIT' });
    assert.deepEqual(containerLimits({}, '9'), { stopSignal: 'SIGKILL' });
    assert.deepEqual(containerLimits({ stopSignal: 'usr1' }, 'SIGQUIT'), { stopSignal: 'SIGUSR1' });
    assert.deepEqual(containerLimits({}, ''), {});
  });

  it('parses all four flags and names the bad one', () => {
    assert.deepEqual(containerLimits({ memory: '32m', cpus: '0.5', stopSignal: 'INT', stopTimeout: '3' }), {
      memoryBytes: 32 * 1024 * 1024, cpus: 0.5, stopSignal: 'SIGINT', stopTimeout: 3,
    });
    assert.equal(kilnErrorOf(() => containerLimits({ stopSignal: 'NOPE' })).details?.['flag'], '--stop-signal');
    assert.equal(kilnErrorOf(() => containerLimits({ stopTimeout: '1.5' })).details?.['flag'], '--stop-timeout');
  });
});
