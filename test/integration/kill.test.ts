// kill -9 in the middle of a transfer: a pull leaves no image and no half blob outside
// content/ingest, a push leaves no tag at the registry, and running the command again
// succeeds and cleans up after the killed one.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { kilnCommand } from '../helpers/cli.js';
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

  it('load: leaves no image and no committed layer, and a new load succeeds and clears the ingest', async () => {
    const source = await kilnUser('kill-load-source');
    assert.equal((await source.kiln(['load', '-i', layoutDir])).status, 0);
    const tar = join(await tempDir('kill-load'), 'image.tar');
    assert.equal((await source.kiln(['save', '-o', tar, 'bigimage:1'])).status, 0);

    const user = await kilnUser('kill-load');
    const { command, args } = kilnCommand(['--root', user.root, 'load']);
    const child = spawn(command, args, { stdio: ['pipe', 'ignore', 'ignore'] });
    // Feed only the first 12 MiB of the archive: the layer is then being ingested, and stays so.
    let fed = 0;
    for await (const chunk of createReadStream(tar, { end: (12 << 20) - 1 })) {
      fed += (chunk as Buffer).length;
      if (!child.stdin.write(chunk)) await once(child.stdin, 'drain');
    }
    assert.equal(fed, 12 << 20);
    while ((await user.ingests()).length === 0) await sleep(20);
    child.kill('SIGKILL');
    await once(child, 'exit');

    assert.equal((await user.kiln(['images', '-q'])).stdout, '');
    assert.ok(!(await user.blobs()).includes(hex(image.layerDigest)));
    const loaded = await user.kiln(['load', '-i', tar]);
    assert.equal(loaded.status, 0, loaded.stderr);
    assert.equal(loaded.stdout, 'Loaded image: bigimage:1\n');
    assert.deepEqual(await user.ingests(), []);
  });
});
