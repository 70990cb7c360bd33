// Where the CLI and kilnd look for each other: the --host flag or KILN_HOST, else a socket tied
// to the store root; and the root rule kept equal to the engine's.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseHost, resolveDaemonAddress, storeRoot } from '../../../src/api/host.js';
import { defaultRoot } from '../../../src/util/store-root.js';
import { KilnError } from '../../../src/util/errors.js';

const asRoot = process.getuid?.() === 0;

describe('daemon host resolution', () => {
  it('takes a unix:// host from the flag before KILN_HOST', () => {
    assert.equal(resolveDaemonAddress({ host: 'unix:///tmp/a.sock' }, { KILN_HOST: 'unix:///tmp/b.sock' }).socketPath, '/tmp/a.sock');
    assert.equal(resolveDaemonAddress({}, { KILN_HOST: 'unix:///tmp/b.sock' }).socketPath, '/tmp/b.sock');
  });

  it('gives every other root a socket inside it', () => {
    assert.deepEqual(resolveDaemonAddress({ root: '/tmp/r1' }, {}), { root: '/tmp/r1', socketPath: '/tmp/r1/kiln.sock' });
    assert.deepEqual(resolveDaemonAddress({}, { KILN_ROOT: '/tmp/r2' }), { root: '/tmp/r2', socketPath: '/tmp/r2/kiln.sock' });
  });

  it('puts the default root\'s socket where the system keeps sockets', () => {
    const env = { XDG_RUNTIME_DIR: '/run/user/1000' };
    const expected = asRoot ? '/run/kiln/kiln.sock' : '/run/user/1000/kiln/kiln.sock';
    assert.equal(resolveDaemonAddress({}, env).socketPath, expected);
    assert.equal(resolveDaemonAddress({ root: storeRoot(undefined, env) }, env).socketPath, expected);
  });

  it('refuses tcp hosts, naming the flag, and anything that is not unix://', () => {
    assert.throws(() => parseHost('tcp://127.0.0.1:2375'), (err: unknown) =>
      err instanceof KilnError && err.code === 'INVALID_ARGUMENT' && /--host/.test(err.message) && /TLS/.test(err.hint ?? ''));
    assert.throws(() => parseHost('unix://'), /invalid host/);
    assert.throws(() => parseHost('/tmp/x.sock'), /invalid host/);
  });

  it('agrees with the engine on the default store root', () => {
    for (const env of [{}, { KILN_ROOT: '/tmp/k' }, { KILN_ROOT: '' }, { XDG_DATA_HOME: '/tmp/data' }]) {
      assert.equal(storeRoot(undefined, env), defaultRoot(env));
    }
  });
});
