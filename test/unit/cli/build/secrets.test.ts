// `--secret` and `--ssh` as buildx parses them, read on the client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseSecretFlag, readSecrets, readSshAgents } from '../../../../src/cli/commands/build/secrets.js';
import { kilnRejection } from '../../../helpers/errors.js';
import { tempDir } from '../../../helpers/tmp.js';

test('--secret: src/source is a file, env and type=env a variable, a bare id the variable when set else the file', () => {
  assert.deepEqual(parseSecretFlag('id=a,src=/s/a', {}), { id: 'a', file: '/s/a' });
  assert.deepEqual(parseSecretFlag('id=a,source=rel', {}), { id: 'a', file: resolve('rel') });
  assert.deepEqual(parseSecretFlag('id=a,env=TOKEN', {}), { id: 'a', env: 'TOKEN' });
  assert.deepEqual(parseSecretFlag('type=env,id=a,src=TOKEN', {}), { id: 'a', env: 'TOKEN' });
  assert.deepEqual(parseSecretFlag('id=HOME_TOKEN', { HOME_TOKEN: 'x' }), { id: 'HOME_TOKEN', env: 'HOME_TOKEN' });
  assert.deepEqual(parseSecretFlag('id=npmrc', {}), { id: 'npmrc', file: resolve('npmrc') });
  assert.deepEqual(parseSecretFlag('"id=a,b",src=/f', {}), { id: 'a,b', file: '/f' });
});

test('--secret: malformed values are refused naming the flag', () => {
  const message = (value: string) => {
    try {
      parseSecretFlag(value, {});
    } catch (err) {
      return (err as Error).message;
    }
    return assert.fail('expected an error');
  };
  assert.match(message('src=/f'), /^--secret: secret missing ID/);
  assert.match(message('id=a,type=socket'), /unsupported secret type "socket"/);
  assert.match(message('id=a,mode=0400'), /unexpected key 'mode'/);
  assert.match(message('id'), /must be a key=value pair/);
});

test('--secret values are read as base64; a missing file or variable and an oversized secret fail', async () => {
  const dir = await tempDir('secret-flags');
  await writeFile(join(dir, 'f'), 'file-value\n');
  assert.deepEqual(await readSecrets([`id=f,src=${join(dir, 'f')}`, 'id=e,env=E'], { E: 'env-value' }), {
    f: Buffer.from('file-value\n').toString('base64'), e: Buffer.from('env-value').toString('base64'),
  });
  assert.match((await kilnRejection(readSecrets(['id=e,env=NOPE'], {}))).message, /secret e: environment variable NOPE is not set/);
  assert.match((await kilnRejection(readSecrets([`id=m,src=${join(dir, 'missing')}`], {}))).message, /secret m: failed to read .*no such file/);
  await writeFile(join(dir, 'big'), Buffer.alloc(500 * 1024 + 1));
  assert.match((await kilnRejection(readSecrets([`id=big,src=${join(dir, 'big')}`], {}))).message, /invalid secret size 512001/);
});

test('--ssh: default and a bare id are $SSH_AUTH_SOCK, ID=path a socket; key files are refused', async () => {
  const dir = await tempDir('ssh-flags');
  const socket = join(dir, 'agent.sock');
  const server = createServer();
  await new Promise<void>((done) => server.listen(socket, done));
  try {
    assert.deepEqual(await readSshAgents(['default', `work=${socket}`], { SSH_AUTH_SOCK: socket }), { default: socket, work: socket });
    assert.match((await kilnRejection(readSshAgents(['default'], {}))).message, /make sure SSH_AUTH_SOCK is set/);
    await writeFile(join(dir, 'id_ed25519'), 'key');
    const key = await kilnRejection(readSshAgents([`k=${join(dir, 'id_ed25519')}`], {}));
    assert.equal(key.code, 'NOT_IMPLEMENTED');
    assert.match(key.message, /not an ssh agent socket, and key files are not supported/);
    assert.match((await kilnRejection(readSshAgents([`k=${socket},${socket}`], {}))).message, /one agent socket per id/);
  } finally {
    await new Promise<void>((done) => server.close(() => done()));
  }
});
