// Transfers through a proxy that breaks the registry's answers: a layer download cut midway,
// 500s on starting an upload, a 429 on the manifest, and a registry serving corrupted bytes.
// kiln retries what can be retried, and stores nothing it could not verify.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildBusyboxImage } from '../helpers/busybox-image.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { kilnUser, skopeoDigest, skopeoPush } from '../helpers/kiln-env.js';
import { buildRandomImage } from '../helpers/random-image.js';
import { startRegistry } from '../helpers/registry-server.js';
import { tempDir } from '../helpers/tmp.js';

const registry = await startRegistry();
const work = await tempDir('faults');
const fixture = await buildBusyboxImage(join(work, 'busybox'), { tag: 'busybox:1' });
const hex = (digest: string): string => digest.slice('sha256:'.length);

describe('kiln through a faulty registry', () => {
  it('pulls an image whose layer download is cut once midway', async () => {
    await skopeoPush(fixture.layoutDir, 'busybox:1', `${registry.host}/faults/pull:1`);
    const layerPath = new RegExp(`/blobs/${fixture.layerDigest}$`);
    const proxy = await startFaultProxy(registry.host, [{ method: 'GET', path: layerPath, times: 1, dropAfterBytes: 200_000 }]);
    const user = await kilnUser('fault-pull');
    const name = `${proxy.host}/faults/pull:1`;
    const pulled = await user.kiln(['pull', name]);
    assert.equal(pulled.status, 0, pulled.stderr);
    assert.ok(pulled.stdout.includes(`Digest: ${fixture.manifestDigest}\n`), pulled.stdout);
    const layerGets = proxy.log.filter((r) => r.method === 'GET' && layerPath.test(r.path));
    assert.equal(layerGets.length, 2, JSON.stringify(proxy.log));
    assert.equal(layerGets[0]?.faulted, true);
    const id = await user.kiln(['image', 'inspect', '--format', '{{.Id}}', name]);
    assert.equal(id.stdout, `${fixture.configDigest}\n`);
    assert.ok((await user.blobs()).includes(hex(fixture.layerDigest)));
    assert.deepEqual(await user.ingests(), []);
  });

  it('pushes through 500s on the upload start and a 429 on the manifest', async () => {
    const proxy = await startFaultProxy(registry.host, [
      { method: 'POST', path: /^\/v2\/faults\/push\/blobs\/uploads\/$/, times: 2, status: 500 },
      { method: 'PUT', path: /^\/v2\/faults\/push\/manifests\/1$/, times: 1, status: 429, retryAfter: 1 },
    ]);
    const user = await kilnUser('fault-push');
    const name = `${proxy.host}/faults/push:1`;
    assert.equal((await user.kiln(['load', '-i', fixture.layoutDir])).status, 0);
    assert.equal((await user.kiln(['tag', 'busybox:1', name])).status, 0);
    const pushed = await user.kiln(['push', name]);
    assert.equal(pushed.status, 0, pushed.stderr);
    assert.ok(pushed.stdout.endsWith(`1: digest: ${fixture.manifestDigest} size: ${fixture.index.manifests[0]?.size}\n`), pushed.stdout);
    assert.equal(proxy.log.filter((r) => r.faulted).length, 3, JSON.stringify(proxy.log));
    assert.equal((await skopeoDigest(`${registry.host}/faults/push:1`)).digest, fixture.manifestDigest);
  });

  it('refuses a layer whose bytes do not match its digest, and keeps nothing of it', async () => {
    // An image of its own: the registry shares blob data between repositories.
    const image = await buildRandomImage(join(work, 'tamper'), 256 * 1024);
    await skopeoPush(join(work, 'tamper'), 'latest', `${registry.host}/faults/tamper:1`);
    const data = join(registry.dataDir, 'docker/registry/v2/blobs/sha256', hex(image.layerDigest).slice(0, 2), hex(image.layerDigest), 'data');
    assert.equal((await stat(data)).size, image.layerSize);
    await writeFile(data, randomBytes(image.layerSize));

    const user = await kilnUser('fault-tamper');
    const pulled = await user.kiln(['pull', `${registry.host}/faults/tamper:1`]);
    assert.equal(pulled.status, 1, pulled.stdout);
    assert.ok(pulled.stderr.includes(image.layerDigest), pulled.stderr);
    assert.doesNotMatch(pulled.stderr, /internal error/);
    assert.equal((await user.kiln(['images', '-q'])).stdout, '');
    assert.ok(!(await user.blobs()).includes(hex(image.layerDigest)));
    assert.deepEqual(await user.ingests(), []);
  });
});
