// The registry client against a real CNCF distribution registry on loopback: push the busybox
// fixture, pull it back bit for bit, resolve, mount across repositories, chunked uploads.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { RegistryClient } from '../../../src/registry/client.js';
import { parseNormalizedReference } from '../../../src/registry/reference.js';
import { startFaultProxy } from '../../helpers/fault-proxy.js';
import { startRegistry } from '../../helpers/registry-server.js';
import { busyboxFixture, pullDigests, pushFixture } from './push-helpers.js';
import { kilnRejection } from '../../helpers/errors.js';

const [registry, fixture] = await Promise.all([startRegistry(), busyboxFixture()]);
const clients: RegistryClient[] = [];

function client(options: ConstructorParameters<typeof RegistryClient>[0] = {}): RegistryClient {
  const made = new RegistryClient({ retry: { baseDelayMs: 5, maxDelayMs: 50 }, ...options });
  clients.push(made);
  return made;
}

after(() => Promise.all(clients.map((c) => c.close())));


describe('RegistryClient against docker-registry', () => {
  test('ping reaches the registry over plain HTTP on loopback', async () => {
    await client().ping(registry.host);
  });

  test('ping of a closed port is UNAVAILABLE naming the host', async () => {
    const err = await kilnRejection(client({ retry: { attempts: 1 } }).ping('127.0.0.1:1'));
    assert.equal(err.code, 'UNAVAILABLE');
    assert.match(err.message, /127\.0\.0\.1:1/);
  });

  test('push then pull gives identical digests; resolve by tag and digest', async () => {
    const c = client();
    const ref = parseNormalizedReference(`${registry.host}/kiln/busybox:1`);
    assert.equal(await pushFixture(c.target(ref), fixture), 2);

    const byTag = await c.resolve(ref);
    assert.deepEqual(byTag, fixture.manifest);
    const byDigest = await c.resolve({ ...ref, tag: undefined, digest: fixture.manifest.digest });
    assert.deepEqual(byDigest, fixture.manifest);

    const pulled = await pullDigests(c.source(ref), fixture);
    assert.deepEqual(pulled, [fixture.manifest, ...fixture.blobs].map((d) => d.digest));

    const target = c.target(ref);
    for (const desc of [fixture.manifest, ...fixture.blobs]) assert.equal(await target.exists(desc), true);
    assert.equal(target.concurrency, 4);
  });

  test('a missing tag is NOT_FOUND naming the reference', async () => {
    const ref = parseNormalizedReference(`${registry.host}/kiln/busybox:nope`);
    const err = await kilnRejection(client().resolve(ref));
    assert.equal(err.code, 'NOT_FOUND');
    assert.equal(err.message, `manifest for ${registry.host}/kiln/busybox:nope not found`);
    assert.equal(err.details.reference, `${registry.host}/kiln/busybox:nope`);
  });

  test('a missing blob is absent, and fetching it is NOT_FOUND with the registry\'s words', async () => {
    const ref = parseNormalizedReference(`${registry.host}/kiln/empty:1`);
    const desc = { mediaType: 'application/octet-stream', digest: `sha256:${'0'.repeat(64)}` as const, size: 1 };
    assert.equal(await client().target(ref).exists(desc), false);
    const err = await kilnRejection(client().source(ref).fetch(desc));
    assert.equal(err.code, 'NOT_FOUND');
    assert.match(err.message, /BLOB_UNKNOWN|NAME_UNKNOWN/);
  });

  test('blobs are mounted from another repository instead of uploaded', async () => {
    const proxy = await startFaultProxy(registry.host, []);
    const c = client();
    const from = parseNormalizedReference(`${proxy.host}/kiln/mount-from:1`);
    await pushFixture(c.target(from), fixture);
    proxy.log.length = 0;

    const to = parseNormalizedReference(`${proxy.host}/kiln/mount-to:1`);
    const sent = await pushFixture(c.target(to, { mountFrom: () => ['kiln/mount-from'] }), fixture);
    assert.equal(sent, 0);
    const mounts = proxy.log.filter((r) => r.method === 'POST' && r.path.includes('mount='));
    assert.deepEqual(mounts.map((r) => r.status), [201, 201]);
    assert.equal(proxy.log.some((r) => r.method === 'PUT' && r.path.includes('/blobs/uploads/')), false);
    assert.deepEqual(await pullDigests(c.source(to), fixture), [fixture.manifest, ...fixture.blobs].map((d) => d.digest));
  });

  test('a failed mount cancels its upload session and the blob is uploaded', async () => {
    const proxy = await startFaultProxy(registry.host, []);
    const c = client();
    const to = parseNormalizedReference(`${proxy.host}/kiln/mount-miss:1`);
    const sent = await pushFixture(c.target(to, { mountFrom: () => ['kiln/does-not-exist'] }), fixture);
    assert.equal(sent, 2);
    assert.equal(proxy.log.filter((r) => r.method === 'POST' && r.path.includes('mount=')).every((r) => r.status === 202), true);
    assert.equal(proxy.log.filter((r) => r.method === 'DELETE').length, 2);
  });

  test('chunked uploads send PATCH chunks of the configured size', async () => {
    const proxy = await startFaultProxy(registry.host, []);
    const chunkSize = 256 * 1024;
    const c = client({ chunkSize });
    const ref = parseNormalizedReference(`${proxy.host}/kiln/chunked:1`);
    assert.equal(await pushFixture(c.target(ref), fixture), 2);
    const patches = proxy.log.filter((r) => r.method === 'PATCH');
    const expected = fixture.blobs.reduce((n, d) => n + Math.ceil(d.size / chunkSize), 0);
    assert.equal(patches.length, expected);
    assert.ok(patches.every((r) => r.status === 202));
    assert.deepEqual(await pullDigests(c.source(ref), fixture), [fixture.manifest, ...fixture.blobs].map((d) => d.digest));
  });

  test('a blob whose bytes do not match its digest is refused and not stored', async () => {
    const c = client();
    const ref = parseNormalizedReference(`${registry.host}/kiln/corrupt:1`);
    const target = c.target(ref);
    const desc = { mediaType: 'application/octet-stream', digest: `sha256:${'1'.repeat(64)}` as const, size: 5 };
    const { Readable } = await import('node:stream');
    const err = await kilnRejection(target.writeBlob(desc, Readable.from([Buffer.from('hello')])));
    assert.match(err.message, /DIGEST_INVALID/);
    assert.equal(await target.exists(desc), false);
  });
});
