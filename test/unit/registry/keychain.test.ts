import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../../helpers/tmp.js';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../../../src/util/errors.js';
import { DockerConfigKeychain, credentialServerAddress, dockerHubServerAddress } from '../../../src/registry/index.js';
import { envWithHelpers, helperStore, installCredentialHelper } from '../../helpers/credential-helper.js';

interface Setup {
  configDir: string;
  binDir: string;
  keychain: DockerConfigKeychain;
  configFile: string;
}

/** A temp config dir holding `config` (if given) and an empty bin dir first on PATH. */
async function setup(config?: unknown): Promise<Setup> {
  const base = await tempDir('keychain');
  const configDir = join(base, 'docker');
  const binDir = join(base, 'bin');
  await mkdir(configDir, { recursive: true });
  await mkdir(binDir);
  const configFile = join(configDir, 'config.json');
  if (config !== undefined) await writeFile(configFile, JSON.stringify(config));
  return { configDir, binDir, configFile, keychain: new DockerConfigKeychain({ env: envWithHelpers(binDir, configDir) }) };
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');

async function rejection(promise: Promise<unknown>): Promise<KilnError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof KilnError) return err;
    throw err;
  }
  assert.fail('expected a KilnError');
}

async function readConfig(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
}

test('Docker Hub names share the v1 index URL as their server address', () => {
  for (const host of ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/']) {
    assert.equal(credentialServerAddress(host), dockerHubServerAddress);
  }
  assert.equal(credentialServerAddress('ghcr.io'), 'ghcr.io');
  assert.equal(credentialServerAddress('localhost:5000'), 'localhost:5000');
});

test('auths: base64 auth, username/password fields, identity and registry tokens', async () => {
  const { keychain } = await setup({
    auths: {
      'basic.example': { auth: b64('alice:s3:cret') },
      'fields.example': { username: 'bob', password: 'pw' },
      'token.example': { auth: b64('carol:x'), identitytoken: 'refresh-token' },
      'bearer.example': { registrytoken: 'bearer-token' },
      'empty.example': {},
    },
  });
  assert.deepEqual(await keychain.resolve('basic.example'), { username: 'alice', password: 's3:cret' });
  assert.deepEqual(await keychain.resolve('fields.example'), { username: 'bob', password: 'pw' });
  assert.deepEqual(await keychain.resolve('token.example'), { username: 'carol', password: 'x', identityToken: 'refresh-token' });
  assert.deepEqual(await keychain.resolve('bearer.example'), { registryToken: 'bearer-token' });
  assert.equal(await keychain.resolve('empty.example'), undefined);
  assert.equal(await keychain.resolve('other.example'), undefined);
});

test('no config file means no credentials', async () => {
  const { keychain } = await setup();
  assert.equal(await keychain.resolve('docker.io'), undefined);
});

test('Docker Hub keys in every spelling docker has written', async () => {
  for (const key of [dockerHubServerAddress, 'https://index.docker.io/v2/', 'index.docker.io', 'docker.io', 'registry-1.docker.io']) {
    const { keychain } = await setup({ auths: { [key]: { auth: b64('hub:pw') } } });
    for (const host of ['docker.io', 'index.docker.io', 'registry-1.docker.io']) {
      assert.deepEqual(await keychain.resolve(host), { username: 'hub', password: 'pw' }, `${key} for ${host}`);
    }
    assert.equal(await keychain.resolve('ghcr.io'), undefined);
  }
});

test('URL keys match by host, and the exact key wins', async () => {
  const { keychain } = await setup({
    auths: {
      'https://legacy.example/v1/': { auth: b64('old:pw') },
      'http://plain.example:5000': { auth: b64('plain:pw') },
      'https://both.example': { auth: b64('url:pw') },
      'both.example': { auth: b64('exact:pw') },
    },
  });
  assert.deepEqual(await keychain.resolve('legacy.example'), { username: 'old', password: 'pw' });
  assert.deepEqual(await keychain.resolve('plain.example:5000'), { username: 'plain', password: 'pw' });
  assert.equal(await keychain.resolve('plain.example'), undefined);
  assert.deepEqual(await keychain.resolve('both.example'), { username: 'exact', password: 'pw' });
});

test('a broken auth entry is a KilnError naming the file, not the secret', async () => {
  const { keychain, configFile } = await setup({ auths: { 'r.example': { auth: b64('nocolonsecret') } } });
  const err = await rejection(keychain.resolve('r.example'));
  assert.ok(err.message.includes(configFile));
  assert.ok(!err.message.includes('nocolonsecret'));
});

test('malformed config.json is a KilnError naming the file', async () => {
  const { keychain, configFile } = await setup();
  await writeFile(configFile, '{"auths": {"r.example": {"auth": "c2VjcmV0"}');
  const err = await rejection(keychain.resolve('r.example'));
  assert.equal(err.code, 'INVALID_ARGUMENT');
  assert.ok(err.message.includes(configFile));
  assert.ok(!err.message.includes('c2VjcmV0'));
});

test('credsStore helper: get, identity tokens, and not-found as no credential', async () => {
  const { keychain, binDir } = await setup({ credsStore: 'fake', auths: { 'ghcr.io': { auth: b64('file:pw') } } });
  await installCredentialHelper(binDir, 'fake', {
    [dockerHubServerAddress]: { Username: 'hubuser', Secret: 'hubpw' },
    'token.example': { Username: '<token>', Secret: 'refresh' },
  });
  assert.deepEqual(await keychain.resolve('registry-1.docker.io'), { username: 'hubuser', password: 'hubpw' });
  assert.deepEqual(await keychain.resolve('token.example'), { identityToken: 'refresh' });
  // Docker does not fall back to auths once a helper is configured.
  assert.equal(await keychain.resolve('ghcr.io'), undefined);
});

test('credHelpers wins over credsStore, which wins over auths', async () => {
  const host = 'r.example';
  const { keychain, binDir } = await setup({
    credHelpers: { [host]: 'perhost' },
    credsStore: 'default',
    auths: { [host]: { auth: b64('fromauths:pw') }, 'other.example': { auth: b64('fromauths:pw') } },
  });
  await installCredentialHelper(binDir, 'perhost', { [host]: { Username: 'fromperhost', Secret: 'pw' } });
  await installCredentialHelper(binDir, 'default', {
    [host]: { Username: 'fromdefault', Secret: 'pw' },
    'other.example': { Username: 'fromdefault', Secret: 'pw' },
  });
  assert.equal((await keychain.resolve(host))?.username, 'fromperhost');
  assert.equal((await keychain.resolve('other.example'))?.username, 'fromdefault');

  const { keychain: withoutStore } = await setup({ credHelpers: { 'third.example': 'perhost' }, auths: { [host]: { auth: b64('fromauths:pw') } } });
  assert.equal((await withoutStore.resolve(host))?.username, 'fromauths');
});

test('a missing helper executable is a clear error with a hint', async () => {
  const { keychain, configFile } = await setup({ credHelpers: { 'r.example': 'xyz' } });
  const err = await rejection(keychain.resolve('r.example'));
  assert.equal(err.code, 'FAILED_PRECONDITION');
  assert.equal(err.message, 'docker-credential-xyz not found in PATH');
  assert.ok(err.hint?.includes(configFile));
});

test('a helper that hangs is stopped after the timeout', async () => {
  const { configDir, binDir } = await setup({ credsStore: 'slow' });
  const program = join(binDir, 'docker-credential-slow');
  await writeFile(program, '#!/usr/bin/env node\nsetTimeout(() => {}, 60000);\n', { mode: 0o755 });
  const keychain = new DockerConfigKeychain({ env: envWithHelpers(binDir, configDir), helperTimeoutMs: 300 });
  const err = await rejection(keychain.resolve('r.example'));
  assert.equal(err.code, 'DEADLINE_EXCEEDED');
  assert.match(err.message, /docker-credential-slow get did not finish/);
});

test('a failing helper reports its output without the secret it was given', async () => {
  const { keychain, binDir } = await setup({ credsStore: 'fake' });
  await installCredentialHelper(binDir, 'fake');
  const err = await rejection(keychain.storeCredential('r.example', { username: 'fail', password: 'topsecretpw' }));
  assert.equal(err.code, 'UNAVAILABLE');
  assert.match(err.message, /docker-credential-fake store failed with exit code 1: refusing to store <redacted>/);
  assert.ok(!JSON.stringify(err.toJSON()).includes('topsecretpw'));
});

test('store and erase go through the configured helper', async () => {
  const { keychain, binDir, configFile } = await setup({ credsStore: 'fake', psFormat: 'x' });
  await installCredentialHelper(binDir, 'fake');
  await keychain.storeCredential('docker.io', { username: 'u', password: 'p' });
  await keychain.storeCredential('token.example', { identityToken: 'tok' });
  assert.deepEqual(await helperStore(binDir, 'fake'), {
    [dockerHubServerAddress]: { Username: 'u', Secret: 'p' },
    'token.example': { Username: '<token>', Secret: 'tok' },
  });
  assert.deepEqual(await keychain.resolve('index.docker.io'), { username: 'u', password: 'p' });
  await keychain.eraseCredential('docker.io');
  await keychain.eraseCredential('docker.io');
  assert.deepEqual(Object.keys(await helperStore(binDir, 'fake')), ['token.example']);
  assert.equal(await keychain.resolve('docker.io'), undefined);
  assert.deepEqual(await readConfig(configFile), { credsStore: 'fake', psFormat: 'x' });
});

test('store and erase in auths keep every other field, with mode 0600', async () => {
  const original = {
    psFormat: 'table {{.ID}}',
    proxies: { default: { httpProxy: 'http://proxy:3128' } },
    credHelpers: { 'helped.example': 'fake' },
    auths: {
      'keep.example': { auth: b64('k:v'), email: 'k@example.com' },
      'r.example': { auth: b64('old:old'), email: 'me@example.com' },
      'https://r.example/v1/': { auth: b64('legacy:pw') },
    },
    plugins: { buildx: { x: '1' } },
  };
  const { keychain, configFile } = await setup(original);
  await keychain.storeCredential('r.example', { username: 'new', password: 'pw:with:colons' });
  await keychain.storeCredential('docker.io', { username: 'hub', password: 'hubpw' });
  let written = await readConfig(configFile);
  assert.deepEqual(written, {
    ...original,
    auths: {
      ...original.auths,
      'r.example': { email: 'me@example.com', auth: b64('new:pw:with:colons') },
      [dockerHubServerAddress]: { auth: b64('hub:hubpw') },
    },
  });
  assert.equal((await stat(configFile)).mode & 0o777, 0o600);
  assert.deepEqual(await keychain.resolve('r.example'), { username: 'new', password: 'pw:with:colons' });

  await keychain.eraseCredential('r.example');
  written = await readConfig(configFile);
  assert.deepEqual(written, {
    ...original,
    auths: { 'keep.example': original.auths['keep.example'], [dockerHubServerAddress]: { auth: b64('hub:hubpw') } },
  });
  assert.equal(await keychain.resolve('r.example'), undefined);
  assert.equal((await stat(configFile)).mode & 0o777, 0o600);
});

test('storing into a fresh config directory creates it privately', async () => {
  const { binDir } = await setup();
  const configDir = join(await tempDir('keychain'), 'docker');
  const keychain = new DockerConfigKeychain({ configDir, env: envWithHelpers(binDir, '/nonexistent') });
  await keychain.storeCredential('r.example', { username: 'u', identityToken: 'refresh' });
  assert.equal((await stat(configDir)).mode & 0o777, 0o700);
  assert.deepEqual(await readConfig(join(configDir, 'config.json')), {
    auths: { 'r.example': { auth: b64('u:'), identitytoken: 'refresh' } },
  });
  assert.deepEqual(await keychain.resolve('r.example'), { username: 'u', password: '', identityToken: 'refresh' });
});

test('storing without a username or token is refused before anything is written', async () => {
  const { keychain, configFile } = await setup();
  const err = await rejection(keychain.storeCredential('r.example', { password: 'lonelysecret' }));
  assert.equal(err.code, 'INVALID_ARGUMENT');
  assert.ok(!err.message.includes('lonelysecret'));
  await assert.rejects(stat(configFile), { code: 'ENOENT' });
});
