import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../../helpers/tmp.js';
import { readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../../../src/util/errors.js';
import {
  decodeAuth, dockerConfigPath, encodeAuth, loadDockerConfig, readConfigObject, updateConfigFile,
} from '../../../src/registry/config-file.js';

async function freshDir(): Promise<string> {
  return tempDir('config-file');
}

async function rejection(promise: Promise<unknown>): Promise<KilnError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof KilnError) return err;
    throw err;
  }
  assert.fail('expected a KilnError');
}

test('config location: configDir, then $DOCKER_CONFIG, then ~/.docker', () => {
  assert.equal(dockerConfigPath({ configDir: '/c', env: { DOCKER_CONFIG: '/d', HOME: '/h' } }), '/c/config.json');
  assert.equal(dockerConfigPath({ env: { DOCKER_CONFIG: '/d', HOME: '/h' } }), '/d/config.json');
  assert.equal(dockerConfigPath({ env: { DOCKER_CONFIG: '', HOME: '/h' } }), '/h/.docker/config.json');
  assert.equal(dockerConfigPath({ env: { HOME: '/h' } }), '/h/.docker/config.json');
});

test('a missing or blank file is an empty configuration', async () => {
  const dir = await freshDir();
  assert.deepEqual(await loadDockerConfig(join(dir, 'config.json')), { auths: {}, credHelpers: {}, credsStore: undefined });
  await writeFile(join(dir, 'config.json'), '  \n');
  assert.deepEqual(await readConfigObject(join(dir, 'config.json')), {});
});

test('malformed JSON names the file and position without quoting its text', async () => {
  const file = join(await freshDir(), 'config.json');
  await writeFile(file, '{\n  "auths": { "r.example": { "password": "hunter2-secret" x } }\n}');
  const err = await rejection(loadDockerConfig(file));
  assert.equal(err.code, 'INVALID_ARGUMENT');
  assert.match(err.message, /malformed Docker config file .*config\.json: not valid JSON at line 2, column \d+/);
  assert.ok(err.message.includes(file));
  assert.ok(!JSON.stringify(err.toJSON()).includes('hunter2'));
  assert.equal(err.cause, undefined);
});

test('wrong shapes are reported with the field that is wrong', async () => {
  const file = join(await freshDir(), 'config.json');
  const cases: [unknown, RegExp][] = [
    [[], /top level is not a JSON object/],
    [{ auths: [] }, /"auths" is not an object/],
    [{ auths: { 'r.example': 'x' } }, /"auths" entry "r\.example" is not an object/],
    [{ auths: { 'r.example': { auth: 5 } } }, /field "auth" of "auths" entry "r\.example" is not a string/],
    [{ credHelpers: { 'r.example': 1 } }, /"credHelpers" entry "r\.example" is not a string/],
    [{ credsStore: true }, /"credsStore" is not a string/],
  ];
  for (const [content, pattern] of cases) {
    await writeFile(file, JSON.stringify(content));
    const err = await rejection(loadDockerConfig(file));
    assert.match(err.message, pattern);
    assert.ok(err.message.includes(file));
  }
});

test('auth decodes to user and password; the password keeps its colons', () => {
  assert.deepEqual(decodeAuth(encodeAuth('alice', 'pa:ss:word'), '/f', 'r'), { username: 'alice', password: 'pa:ss:word' });
  assert.deepEqual(decodeAuth(Buffer.from('bob:pw\0\0').toString('base64'), '/f', 'r'), { username: 'bob', password: 'pw' });
});

test('an undecodable auth names the file and entry but never the secret', () => {
  for (const auth of [Buffer.from('no-colon-secret').toString('base64'), Buffer.from(':secretpw').toString('base64'), 'not base64!secret']) {
    assert.throws(
      () => decodeAuth(auth, '/home/u/.docker/config.json', 'r.example'),
      (err: unknown) => {
        assert.ok(err instanceof KilnError);
        assert.match(err.message, /\/home\/u\/\.docker\/config\.json.*"r\.example"/);
        assert.ok(!err.message.includes('secret'));
        assert.ok(!err.message.includes(auth));
        return true;
      },
    );
  }
});

test('update keeps unknown fields, writes mode 0600 and creates the directory 0700', async () => {
  const dir = join(await freshDir(), 'nested', 'docker');
  const file = join(dir, 'config.json');
  await updateConfigFile(file, (raw) => {
    raw.auths = { 'r.example': { auth: encodeAuth('a', 'b') } };
  });
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  assert.equal((await stat(file)).mode & 0o777, 0o600);

  await writeFile(file, JSON.stringify({ psFormat: 'table', proxies: { default: { httpProxy: 'p' } }, auths: {} }), { mode: 0o644 });
  await updateConfigFile(file, (raw) => {
    (raw.auths as Record<string, unknown>)['s.example'] = { auth: 'eDp5' };
  });
  const written = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  assert.deepEqual(written, { psFormat: 'table', proxies: { default: { httpProxy: 'p' } }, auths: { 's.example': { auth: 'eDp5' } } });
  assert.equal((await stat(file)).mode & 0o777, 0o600);
});

test('concurrent updates in one process all land', async () => {
  const file = join(await freshDir(), 'config.json');
  await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      updateConfigFile(file, (raw) => {
        raw[`key${i}`] = i;
      }),
    ),
  );
  const written = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  assert.equal(Object.keys(written).length, 8);
});

test('a symlinked config.json is written through to its target', async () => {
  const dir = await freshDir();
  const target = join(dir, 'real.json');
  await writeFile(target, '{"keep":1}');
  await symlink(target, join(dir, 'config.json'));
  await updateConfigFile(join(dir, 'config.json'), (raw) => {
    raw.added = true;
  });
  assert.deepEqual(JSON.parse(await readFile(target, 'utf8')), { keep: 1, added: true });
  assert.ok((await stat(join(dir, 'config.json'))).isFile());
});

test('an update refuses to overwrite a malformed file', async () => {
  const file = join(await freshDir(), 'config.json');
  await writeFile(file, '{"auths": ');
  const err = await rejection(updateConfigFile(file, () => undefined));
  assert.match(err.message, /not valid JSON/);
  assert.equal(await readFile(file, 'utf8'), '{"auths": ');
});
