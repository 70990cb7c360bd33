// Transient registry failures, injected by a proxy in front of a real docker-registry:
// 500s and 429s are retried, broken downloads and unreplayable uploads surface as
// UNAVAILABLE so that the copier starts the blob again.
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { after, describe, test } from 'node:test';
import { RegistryClient, type RegistryClientOptions } from '../../../src/registry/client.js';
import { parseNormalizedReference } from '../../../src/registry/reference.js';
import { startFaultProxy } from '../../helpers/fault-proxy.js';
import { blobPath } from '../../helpers/oci-layout.js';
import { startRegistry } from '../../helpers/registry-server.js';
import { busyboxFixture, digestOfStream, pullDigests, pushFixture } from './push-helpers.js';
import { kilnRejection } from '../../helpers/errors.js';

const [registry, fixture] = await Promise.all([startRegistry(), busyboxFixture()]);
const clients: RegistryClient[] = [];
after(() => Promise.all(clients.map((c) => c.close())));

function client(options: RegistryClientOptions = {}): RegistryClient {
  const made = new RegistryClient({ retry: { baseDelayMs: 5, maxDelayMs: 20 }, ...options });
  clients.push(made);
  return made;
}

// Pushed once, directly, for the pull tests.
const seeded = parseNormalizedReference(`${registry.host}/faults/seed:1`);
await pushFixture(client().target(seeded), fixture);


const allDigests = [fixture.manifest, ...fixture.blobs].map((d) => d.digest);

describe('registry faults', () => {
  test('500s on manifest and blob requests are retried', async () => {
    const proxy = await startFaultProxy(registry.host, [
      { method: 'HEAD', path: /\/manifests\//, status: 500, times: 2 },
      { method: 'GET', path: /\/blobs\//, status: 503, times: 2 },
    ]);
    const ref = parseNormalizedReference(`${proxy.host}/faults/seed:1`);
    const c = client();
    assert.deepEqual(await c.resolve(ref), fixture.manifest);
    assert.deepEqual(await pullDigests(c.source(ref), fixture), allDigests);
    assert.equal(proxy.log.filter((r) => r.faulted).length, 4);
  });

  test('a 429 with Retry-After is waited out and retried', async () => {
    const proxy = await startFaultProxy(registry.host, [{ method: 'PUT', path: /\/manifests\//, status: 429, retryAfter: 1, times: 1 }]);
    const ref = parseNormalizedReference(`${proxy.host}/faults/throttled:1`);
    const started = Date.now();
    await pushFixture(client().target(ref), fixture);
    assert.ok(Date.now() - started >= 1000, 'Retry-After was honoured');
    assert.deepEqual(await client().resolve(ref), fixture.manifest);
  });

  test('too many 500s give UNAVAILABLE with the registry\'s words', async () => {
    const proxy = await startFaultProxy(registry.host, [{ path: /\/manifests\//, status: 500, times: 10 }]);
    const ref = parseNormalizedReference(`${proxy.host}/faults/seed:1`);
    const err = await kilnRejection(client({ retry: { attempts: 3, baseDelayMs: 1 } }).resolve(ref));
    assert.equal(err.code, 'UNAVAILABLE');
    assert.match(err.message, /injected fault/);
    // Three HEADs, then the GET fallback three times (the HTTPS probe never parses as HTTP).
    assert.deepEqual(proxy.log.map((r) => r.method), ['HEAD', 'HEAD', 'HEAD', 'GET', 'GET', 'GET']);
  });

  test('a download cut mid-blob resumes with a Range request', async () => {
    const layer = fixture.blobs[1]!;
    const proxy = await startFaultProxy(registry.host, [{ method: 'GET', path: /\/blobs\//, dropAfterBytes: 100_000, times: 2 }]);
    const ref = parseNormalizedReference(`${proxy.host}/faults/seed:1`);
    const pulled = await digestOfStream(await client().source(ref).fetch(layer));
    assert.deepEqual(pulled, { digest: layer.digest, size: layer.size });
    assert.deepEqual(proxy.log.map((r) => r.range), [undefined, 'bytes=100000-', 'bytes=200000-']);
  });

  test('a download that keeps breaking errors the stream with UNAVAILABLE', async () => {
    const layer = fixture.blobs[1]!;
    const proxy = await startFaultProxy(registry.host, [{ method: 'GET', path: /\/blobs\//, dropAfterBytes: 10_000, times: 100 }]);
    const ref = parseNormalizedReference(`${proxy.host}/faults/seed:1`);
    const c = client({ retry: { attempts: 3, baseDelayMs: 1 } });
    const err = await kilnRejection(digestOfStream(await c.source(ref).fetch(layer)));
    assert.equal(err.code, 'UNAVAILABLE');
    assert.match(err.message, new RegExp(`download of ${layer.digest} from 127\\.0\\.0\\.1:\\d+ broke off`));
    assert.equal(proxy.log.length, 4); // the first request and three resumptions
  });

  test('a manifest download cut short is UNAVAILABLE, not resumed', async () => {
    const proxy = await startFaultProxy(registry.host, [{ method: 'GET', path: /\/manifests\//, dropAfterBytes: 100, times: 1 }]);
    const ref = parseNormalizedReference(`${proxy.host}/faults/seed:1`);
    const err = await kilnRejection(digestOfStream(await client().source(ref).fetch(fixture.manifest)));
    assert.equal(err.code, 'UNAVAILABLE');
    assert.equal(proxy.log.length, 1);
  });

  test('a streamed upload PUT that fails is UNAVAILABLE, not retried', async () => {
    const proxy = await startFaultProxy(registry.host, [{ method: 'PUT', path: /\/blobs\/uploads\//, status: 500, times: 1 }]);
    const ref = parseNormalizedReference(`${proxy.host}/faults/stream:1`);
    const target = client().target(ref);
    const layer = fixture.blobs[1]!;
    const err = await kilnRejection(target.writeBlob(layer, createReadStream(blobPath(fixture.image.layoutDir, layer.digest))));
    assert.equal(err.code, 'UNAVAILABLE');
    assert.equal(proxy.log.filter((r) => r.method === 'PUT').length, 1);
    assert.equal(await target.exists(layer), false);
    await target.writeBlob(layer, createReadStream(blobPath(fixture.image.layoutDir, layer.digest)));
    assert.equal(await target.exists(layer), true);
  });

  test('chunked uploads retry a failed chunk they still hold', async () => {
    const proxy = await startFaultProxy(registry.host, [{ method: 'PATCH', path: /\/blobs\/uploads\//, status: 500, times: 2 }]);
    const ref = parseNormalizedReference(`${proxy.host}/faults/chunks:1`);
    const c = client({ chunkSize: 300 * 1024 });
    assert.equal(await pushFixture(c.target(ref), fixture), 2);
    assert.deepEqual(await pullDigests(c.source(ref), fixture), allDigests);
  });
});
