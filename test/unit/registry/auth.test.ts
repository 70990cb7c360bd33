// Authentication against a real docker-registry with htpasswd (Basic) auth: credentials
// from a keychain, login, and the UNAUTHORIZED errors users see when they are wrong.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { RegistryClient, type RegistryClientOptions } from '../../../src/registry/client.js';
import type { Credential, Keychain } from '../../../src/registry/keychain.js';
import { parseNormalizedReference } from '../../../src/registry/reference.js';
import { startRegistry } from '../../helpers/registry-server.js';
import { busyboxFixture, pullDigests, pushFixture } from './push-helpers.js';
import { kilnRejection } from '../../helpers/errors.js';

const user = { username: 'kiln', password: 's3cret, "quoted"' };
const [registry, fixture] = await Promise.all([startRegistry({ htpasswd: user }), busyboxFixture()]);
const clients: RegistryClient[] = [];
after(() => Promise.all(clients.map((c) => c.close())));

function keychainFor(host: string, credential: Credential): Keychain & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    resolve: async (registryHost) => {
      asked.push(registryHost);
      return registryHost === host ? credential : undefined;
    },
  };
}

function client(options: RegistryClientOptions = {}): RegistryClient {
  const made = new RegistryClient({ retry: { baseDelayMs: 5 }, ...options });
  clients.push(made);
  return made;
}


describe('htpasswd-protected registry', () => {
  test('credentials from the keychain allow push and pull', async () => {
    const keychain = keychainFor(registry.host, user);
    const c = client({ keychain });
    const ref = parseNormalizedReference(`${registry.host}/private/busybox:1`);
    assert.equal(await pushFixture(c.target(ref), fixture), 2);
    assert.deepEqual(await c.resolve(ref), fixture.manifest);
    assert.deepEqual(await pullDigests(c.source(ref), fixture), [fixture.manifest, ...fixture.blobs].map((d) => d.digest));
    assert.deepEqual([...new Set(keychain.asked)], [registry.host]);
  });

  test('wrong credentials are UNAUTHORIZED naming the registry, with a login hint', async () => {
    const c = client({ keychain: keychainFor(registry.host, { username: 'kiln', password: 'wrong' }) });
    const ref = parseNormalizedReference(`${registry.host}/private/busybox:1`);
    const err = await kilnRejection(c.resolve(ref));
    assert.equal(err.code, 'UNAUTHORIZED');
    assert.match(err.message, new RegExp(`${registry.host.replace(/\./g, '\\.')}/private/busybox`));
    assert.equal(err.hint, `kiln login ${registry.host}`);
    assert.equal(err.details.reference, `${registry.host}/private/busybox:1`);
  });

  test('without credentials the registry\'s own error text is reported', async () => {
    const err = await kilnRejection(client().ping(registry.host));
    assert.equal(err.code, 'UNAUTHORIZED');
    assert.match(err.message, new RegExp(registry.host.replace(/\./g, '\\.')));
    assert.match(err.message, /UNAUTHORIZED: authentication required/);
  });

  test('login verifies credentials', async () => {
    const c = client();
    await c.login(registry.host, user);
    const err = await kilnRejection(c.login(registry.host, { username: 'kiln', password: 'nope' }));
    assert.equal(err.code, 'UNAUTHORIZED');
    assert.match(err.message, /log in to 127\.0\.0\.1:\d+/);
  });

  test('a registry token credential is sent as a bearer token as is', async () => {
    const c = client({ keychain: keychainFor(registry.host, { registryToken: 'not-a-valid-token' }) });
    const err = await kilnRejection(c.ping(registry.host));
    assert.equal(err.code, 'UNAUTHORIZED');
  });
});
