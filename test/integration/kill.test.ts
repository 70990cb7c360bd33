// kill -9 in the middle of a transfer: a pull leaves no image and no half blob outside
// content/ingest, a push leaves no tag at the registry, and running the command again
// succeeds and cleans up after the killed one.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { kilnUser, skopeoDigest, skopeoPush } from '../helpers/kiln-env.js';
import { buildRandomImage } from '../helpers/random-image.js';
import { startRegistry } from '../helpers/registry-server.js';
import { startStallProxy } from '../helpers/stall-proxy.js';
import { tempDir } from '../helpers/tmp.js';

const registry = await startRegistry();
const layoutDir = join(await tempDir('kill'), 'layout');
const image = await buildRandomImage(layoutDir, 30 << 20, 'bigimage:1');
const hex = (digest: string): string => digest.slice('sha256:'.length);

describe('kiln killed mid-transfer', () => {
  it('pull: leaves no image and no committed layer, and a new pull succeeds and clears the ingest', async () => {
    await skopeoPush(layoutDir, 'bigimage:1', `${registry.host}/kill/pull:1`);
    const proxy = await startStallProxy(registry.host, { methods: ['GET'], path: new RegExp(`/blobs/${image.layerDigest}$`), afterBytes: 8 << 20 });
    const user = await kilnUser('kill-pull');
    const name = `${proxy.host}/kill/pull:1`;
    const killed = await user.kiln(['pull', name], { onSpawn: (child) => void proxy.stalled.then(() => child.kill('SIGKILL')) });
    assert.equal(killed.signal, 'SIGKILL');

    assert.equal((await user.kiln(['images', '-q'])).stdout, '');
    assert.ok(!(await user.blobs()).includes(hex(image.layerDigest)));

    const pulled = await user.kiln(['pull', name]);
    assert.equal(pulled.status, 0, pulled.stderr);
    assert.ok(pulled.stdout.includes(`Digest: ${image.manifestDigest}\n`), pulled.stdout);
    assert.ok((await user.blobs()).includes(hex(image.layerDigest)));
    assert.deepEqual(await user.ingests(), []);
    assert.equal((await user.kiln(['images', '-q', '--no-trunc'])).stdout, `${image.configDigest}\n`);
  });

  it('push: leaves no tag at the registry, and a new push succeeds', async () => {
    // Whether kiln sends the layer in one PUT or in PATCH chunks, the first upload carrying it stalls.
    const uploads = /^\/v2\/kill\/push\/blobs\/uploads\//;
    const proxy = await startStallProxy(registry.host, { methods: ['PUT', 'PATCH'], path: uploads, afterBytes: 8 << 20 });
    const user = await kilnUser('kill-push');
    const name = `${proxy.host}/kill/push:1`;
    assert.equal((await user.kiln(['load', '-i', layoutDir])).status, 0);
    assert.equal((await user.kiln(['tag', 'bigimage:1', name])).status, 0);
    const killed = await user.kiln(['push', name], { onSpawn: (child) => void proxy.stalled.then(() => child.kill('SIGKILL')) });
    assert.equal(killed.signal, 'SIGKILL', killed.stdout + killed.stderr);
    const tag = `${registry.host}/kill/push:1`;
    const missing = await skopeoDigest(tag);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /manifest unknown/i);

    const pushed = await user.kiln(['push', name]);
    assert.equal(pushed.status, 0, pushed.stderr);
    assert.ok(pushed.stdout.endsWith(`1: digest: ${image.manifestDigest} size: ${image.manifestSize}\n`), pushed.stdout);
    assert.equal((await skopeoDigest(tag)).digest, image.manifestDigest);
    assert.deepEqual(await user.ingests(), []);
  });
});
