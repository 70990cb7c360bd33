// Bearer token authentication against a real docker-registry configured with `auth: token`:
// a tiny token server in this test signs RS256 JWTs with a key whose self-signed certificate
// (made by openssl) is the registry's root bundle, and records what the client asked for.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { RegistryClient, type RegistryClientOptions } from '../../../src/registry/client.js';
import type { Credential } from '../../../src/registry/keychain.js';
import { parseNormalizedReference } from '../../../src/registry/reference.js';
import { isKilnError } from '../../../src/util/errors.js';
import { startRegistry } from '../../helpers/registry-server.js';
import { tempDir } from '../../helpers/tmp.js';
import { busyboxFixture, pullDigests, pushFixture } from './push-helpers.js';

const service = 'kiln-test-registry';
const issuer = 'kiln-test-issuer';
const user = { username: 'kiln', password: 'pa55' };
const refreshToken = 'refresh-me';

const keyDir = await tempDir('token-keys');
execFileSync('openssl', [
  'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(keyDir, 'key.pem'), '-out', join(keyDir, 'cert.pem'),
  '-days', '1', '-subj', '/CN=kiln-test-token-issuer',
], { stdio: 'ignore' });
const privateKey = createPrivateKey(readFileSync(join(keyDir, 'key.pem')));
const certDer = new X509Certificate(readFileSync(join(keyDir, 'cert.pem'))).raw.toString('base64');

interface TokenRequest {
  method: string;
  scopes: string[];
  grant: 'basic' | 'refresh' | 'anonymous';
}
const requests: TokenRequest[] = [];

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A JWT granting every requested action, as distribution's token auth expects. */
function issue(scopes: string[]): string {
  const now = Math.floor(Date.now() / 1000);
  const access = scopes.map((scope) => {
    const [type, name, actions] = scope.split(':');
    return { type, name, actions: actions?.split(',') ?? [] };
  });
  const header = base64url({ typ: 'JWT', alg: 'RS256', x5c: [certDer] });
  const claims = base64url({ iss: issuer, sub: user.username, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access });
  const signature = sign('sha256', Buffer.from(`${header}.${claims}`), privateKey).toString('base64url');
  return `${header}.${claims}.${signature}`;
}

async function grantOf(req: IncomingMessage, url: URL): Promise<{ grant: TokenRequest['grant'] | 'refused'; scopes: string[] }> {
  if (req.method === 'POST') {
    const form = new URLSearchParams(Buffer.concat(await req.toArray()).toString());
    const ok = form.get('grant_type') === 'refresh_token' && form.get('refresh_token') === refreshToken && form.get('service') === service;
    return { grant: ok ? 'refresh' : 'refused', scopes: (form.get('scope') ?? '').split(' ').filter((s) => s !== '') };
  }
  const scopes = url.searchParams.getAll('scope');
  const auth = req.headers.authorization;
  if (auth === undefined) return { grant: 'anonymous', scopes: [] };
  const expected = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
  return { grant: auth === expected ? 'basic' : 'refused', scopes };
}

const tokenServer = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://token');
  void grantOf(req, url).then(({ grant, scopes }) => {
    if (grant === 'refused') {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
      return;
    }
    requests.push({ method: req.method ?? '', scopes, grant });
    res.writeHead(200, { 'content-type': 'application/json' });
    const token = issue(grant === 'anonymous' ? [] : scopes);
    res.end(JSON.stringify(grant === 'refresh' ? { access_token: token, expires_in: 300 } : { token, expires_in: 300 }));
  });
});
tokenServer.listen(0, '127.0.0.1');
await once(tokenServer, 'listening');
const tokenAddress = tokenServer.address();
assert.ok(tokenAddress !== null && typeof tokenAddress === 'object');
after(() => new Promise<void>((resolve) => tokenServer.close(() => resolve())));

const registry = await startRegistry({
  authYaml: [
    '  token:',
    `    realm: http://127.0.0.1:${tokenAddress.port}/token`,
    `    service: ${service}`,
    `    issuer: ${issuer}`,
    `    rootcertbundle: ${join(keyDir, 'cert.pem')}`,
  ].join('\n'),
});
const fixture = await busyboxFixture();
const clients: RegistryClient[] = [];
after(() => Promise.all(clients.map((c) => c.close())));

function client(credential: Credential | undefined, options: RegistryClientOptions = {}): RegistryClient {
  const made = new RegistryClient({ keychain: { resolve: async () => credential }, retry: { baseDelayMs: 5 }, ...options });
  clients.push(made);
  return made;
}

describe('bearer token auth', () => {
  test('push and pull with tokens fetched once per scope set', async () => {
    requests.length = 0;
    const c = client(user);
    const ref = parseNormalizedReference(`${registry.host}/tokens/busybox:1`);
    assert.equal(await pushFixture(c.target(ref), fixture), 2);
    assert.deepEqual(await c.resolve(ref), fixture.manifest);
    assert.deepEqual(await pullDigests(c.source(ref), fixture), [fixture.manifest, ...fixture.blobs].map((d) => d.digest));
    assert.deepEqual(requests.map((r) => [r.grant, r.scopes]), [
      ['basic', ['repository:tokens/busybox:pull,push']],
      ['basic', ['repository:tokens/busybox:pull']],
    ]);
  });

  test('a mount asks for pull access to the source repository', async () => {
    const c = client(user);
    await pushFixture(c.target(parseNormalizedReference(`${registry.host}/tokens/from:1`)), fixture);
    requests.length = 0;
    const to = parseNormalizedReference(`${registry.host}/tokens/to:1`);
    assert.equal(await pushFixture(c.target(to, { mountFrom: () => ['tokens/from'] }), fixture), 0);
    assert.ok(requests.some((r) => r.scopes.includes('repository:tokens/to:pull,push') && r.scopes.includes('repository:tokens/from:pull')));
  });

  test('an identity token is exchanged with an OAuth2 refresh_token POST', async () => {
    requests.length = 0;
    const c = client({ identityToken: refreshToken });
    await pushFixture(c.target(parseNormalizedReference(`${registry.host}/tokens/oauth:1`)), fixture);
    assert.deepEqual(requests.map((r) => [r.method, r.grant]), [['POST', 'refresh']]);
  });

  test('wrong credentials are UNAUTHORIZED naming the registry', async () => {
    const ref = parseNormalizedReference(`${registry.host}/tokens/busybox:1`);
    await assert.rejects(client({ username: 'kiln', password: 'wrong' }).resolve(ref), (err) => {
      assert.ok(isKilnError(err));
      assert.equal(err.code, 'UNAUTHORIZED');
      assert.match(err.message, new RegExp(`${registry.host.replace(/\./g, '\\.')}/tokens/busybox: UNAUTHORIZED: bad credentials`));
      assert.equal(err.hint, `kiln login ${registry.host}`);
      return true;
    });
  });

  test('login checks the credential at the token server', async () => {
    const c = client(undefined);
    await c.login(registry.host, user);
    await assert.rejects(c.login(registry.host, { username: 'kiln', password: 'wrong' }), (err) => isKilnError(err) && err.code === 'UNAUTHORIZED');
  });
});
