// The build request's secrets and ssh agents, as the daemon checks them (never echoing a value).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBuildSecrets, parseBuildSsh, secretBytes } from '../../../src/daemon/build/index.js';
import { kilnErrorOf } from '../../helpers/errors.js';

test('secrets: base64 strings by id, at most 500 KB each, decoded for the steps', () => {
  const secrets = parseBuildSecrets({ token: Buffer.from('s3cret').toString('base64') });
  assert.ok(secrets !== undefined);
  assert.equal(secretBytes(secrets).get('token')?.toString('utf8'), 's3cret');
  assert.equal(parseBuildSecrets(undefined), undefined);
  const bad = kilnErrorOf(() => parseBuildSecrets({ token: 'not base64!' }));
  assert.equal(bad.code, 'INVALID_ARGUMENT');
  assert.equal(bad.message.includes('not base64!'), false, 'the value is never echoed');
  assert.match(kilnErrorOf(() => parseBuildSecrets({ big: Buffer.alloc(500 * 1024 + 3).toString('base64') })).message, /at most 512000 bytes/);
  assert.match(kilnErrorOf(() => parseBuildSecrets(['x'])).message, /secrets must be an object/);
});

test('ssh: absolute socket paths by id', () => {
  assert.deepEqual(parseBuildSsh({ default: '/run/agent.sock' }), { default: '/run/agent.sock' });
  assert.match(kilnErrorOf(() => parseBuildSsh({ default: 'agent.sock' })).message, /an absolute socket path/);
});
