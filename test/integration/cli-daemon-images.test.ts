// The kiln CLI's image commands run through kilnd's native image API (/kiln/v1/images...): with
// --host on a daemon of the test's own, every command shows up as a request in the daemon's log
// and no other daemon is started for the root. Pull progress reaches the terminal while the
// transfer is still under way; credentials come from the CLI's docker config with each request
// and never reach the daemon's log; a save that fails after its archive has begun reports the
// daemon's error. Raw requests check that bad input gets a JSON 4xx and the daemon goes on serving.
import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildBusyboxImage } from '../helpers/busybox-image.js';
import { canRunContainers, kilnUser, skopeoPush } from '../helpers/kiln-env.js';
import { type JsonAnswer, kilnVia, requestDaemon, requestsOf, startKilnd } from '../helpers/kilnd.js';
import { buildRandomImage } from '../helpers/random-image.js';
import { startRegistry } from '../helpers/registry-server.js';
import { startStallProxy } from '../helpers/stall-proxy.js';
import type { AsyncCliOptions } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

// Started at the module's top level: a describe-level before hook ran after the tests here.
const started = canRunContainers ? await startKilnd('cli-daemon-images') : undefined;
after(async () => started?.stop());
const skip = canRunContainers ? false : 'kilnd needs root for its network pool';

/** `kiln --root ROOT --host unix://SOCKET ARGS` against the test's daemon. */
const kiln = (args: string[], options: AsyncCliOptions = {}) => kilnVia(started!, args, options);

const requestsSince = (from: number): string[] => requestsOf(started!, from);

const raw = (method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<JsonAnswer> => requestDaemon(started!, method, path, body, headers);

describe('kiln image commands through kilnd', { skip }, () => {
  it('lists, inspects, tags, saves, loads and removes through the daemon of --host, starting none of their own', async () => {
    const kilnd = started!;
    const from = kilnd.log().length;
    const dir = await tempDir('cli-daemon-files');
    const listed = await kiln(['images', '--format', '{{.Repository}}:{{.Tag}}']);
    assert.equal(listed.status, 0, listed.stderr);
    assert.equal(listed.stdout, 'busybox:1\n');
    const id = await kiln(['image', 'inspect', '--format', '{{.Id}}', 'busybox:1']);
    assert.match(id.stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.equal((await kiln(['tag', 'busybox:1', 'example.com/cli/daemon:1'])).status, 0);
    const tar = join(dir, 'x.tar');
    const saved = await kiln(['save', '-o', tar, 'example.com/cli/daemon:1']);
    assert.equal(saved.status, 0, saved.stderr);
    const layout = join(dir, 'layout');
    assert.equal((await kiln(['save', '--format', 'oci-layout', '-o', layout, 'busybox:1'])).status, 0);
    const removed = await kiln(['rmi', 'example.com/cli/daemon:1']);
    assert.equal(removed.stdout, 'Untagged: example.com/cli/daemon:1\n');
    const loaded = await kiln(['load', '-i', tar]);
    assert.equal(loaded.stdout, 'Loaded image: example.com/cli/daemon:1\n');
    const fromLayout = await kiln(['load', '-i', layout]);
    assert.equal(fromLayout.stdout, 'Loaded image: busybox:1\n');
    assert.equal((await kiln(['rmi', 'example.com/cli/daemon:1'])).status, 0);

    assert.deepEqual(requestsSince(from), [
      'GET /kiln/v1/images',
      'GET /kiln/v1/images/busybox%3A1',
      'POST /kiln/v1/images/busybox%3A1/tag',
      'POST /kiln/v1/images/save',
      'POST /kiln/v1/images/save/layout',
      'DELETE /kiln/v1/images/example.com%2Fcli%2Fdaemon%3A1',
      'POST /kiln/v1/images/load',
      'POST /kiln/v1/images/load/layout',
      'DELETE /kiln/v1/images/example.com%2Fcli%2Fdaemon%3A1',
    ]);
    // The root's daemon is the test's: the commands started no other.
    assert.equal(Number(await readFile(join(kilnd.root, 'kilnd.pid'), 'utf8')), kilnd.daemon.pid);
  });

  it('prints pull progress while the transfer is still under way', async () => {
    const registry = await startRegistry();
    const layoutDir = join(await tempDir('cli-daemon-stall'), 'layout');
    const image = await buildRandomImage(layoutDir, 4 << 20, 'stall:1');
    await skopeoPush(layoutDir, 'stall:1', `${registry.host}/cli/stall:1`);
    const proxy = await startStallProxy(registry.host, { methods: ['GET'], path: new RegExp(`/blobs/${image.layerDigest}$`), afterBytes: 1 << 20 });
    const short = image.layerDigest.slice('sha256:'.length, 'sha256:'.length + 12);
    let early = '';
    let running = true;
    let seen: { early: string; running: boolean } | undefined;
    const pulled = await kiln(['pull', `${proxy.host}/cli/stall:1`], {
      onSpawn: (child) => {
        child.stdout?.on('data', (chunk: Buffer) => (early += chunk.toString()));
        child.once('exit', () => (running = false));
        void proxy.stalled.then(async () => {
          for (let i = 0; i < 100 && !early.includes(`${short}: Pulling fs layer\n`); i++) await sleep(20);
          seen = { early, running };
          child.kill('SIGKILL');
        });
      },
    });
    assert.equal(pulled.signal, 'SIGKILL', pulled.stdout + pulled.stderr);
    // The layer's line came through the daemon while its download was held mid-blob.
    assert.equal(seen?.running, true);
    assert.equal(seen.early, `1: Pulling from cli/stall\n${short}: Pulling fs layer\n`);
    await proxy.stop();
  });

  it('sends the CLI\'s credentials with each pull and push, which the daemon neither keeps nor logs', async () => {
    const username = 'cli';
    const password = 'daemon-s3cret';
    const registry = await startRegistry({ htpasswd: { username, password } });
    const from = started!.log().length;
    const name = `${registry.host}/private/busybox:1`;
    const wrong = await kiln(['login', registry.host, '-u', username, '--password-stdin'], { input: 'wrong\n' });
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, new RegExp(`login to ${registry.host} failed`));
    const login = await kiln(['login', registry.host, '-u', username, '--password-stdin'], { input: `${password}\n` });
    assert.equal(login.stdout, 'Login Succeeded\n', login.stderr);
    assert.equal((await kiln(['tag', 'busybox:1', name])).status, 0);
    const pushed = await kiln(['push', name]);
    assert.equal(pushed.status, 0, pushed.stderr);
    assert.match(pushed.stdout, /^The push refers to repository \[.*\/private\/busybox\]\n/);
    assert.equal((await kiln(['rmi', name])).status, 0);
    const pulled = await kiln(['pull', name]);
    assert.equal(pulled.status, 0, pulled.stderr);
    assert.ok(pulled.stdout.endsWith(`Status: Downloaded newer image for ${name}\n${name}\n`), pulled.stdout);

    // Another user of the same daemon, without the login: the daemon kept nothing of it.
    assert.equal((await kiln(['rmi', name])).status, 0);
    const stranger = await kiln(['pull', name], { env: { DOCKER_CONFIG: await tempDir('cli-daemon-stranger') } });
    assert.equal(stranger.status, 1);
    assert.match(stranger.stderr, /unauthorized|authentication required/i);

    const log = started!.log().slice(from);
    assert.ok(requestsSince(from).includes('POST /kiln/v1/auth'));
    assert.ok(requestsSince(from).includes('POST /kiln/v1/images/pull'));
    assert.ok(requestsSince(from).includes(`POST /kiln/v1/images/${encodeURIComponent(name)}/push`));
    for (const secret of [password, Buffer.from(password).toString('base64'), Buffer.from(`${username}:${password}`).toString('base64')]) {
      assert.ok(!log.includes(secret), 'no credential in the daemon\'s log');
    }
  });

  it('answers bad input with a JSON 4xx and goes on serving', async () => {
    const cases: [string, string, string | undefined, Record<string, string>, number][] = [
      ['POST', '/kiln/v1/images/pull', '{bad', { 'Content-Type': 'application/json' }, 400],
      ['POST', '/kiln/v1/images/pull', '{"reference":"Bad:Ref"}', {}, 400],
      ['POST', '/kiln/v1/images/pull', '{"reference":"busybox","platform":"linux/*"}', {}, 400],
      ['POST', '/kiln/v1/images/pull', '{"reference":"busybox"}', { 'X-Registry-Auth': '!!' }, 400],
      ['GET', '/kiln/v1/images/nosuch%3A1', undefined, {}, 404],
      ['DELETE', '/kiln/v1/images/busybox%3A1?force=maybe', undefined, {}, 400],
      ['POST', '/kiln/v1/images/busybox%3A1/tag', '{}', {}, 400],
      ['POST', '/kiln/v1/images/busybox%3A1/push', '{"allTags":"yes"}', {}, 400],
      ['POST', '/kiln/v1/images/nosuch%3A1/push', '{}', {}, 404],
      ['POST', '/kiln/v1/images/save', '{"names":[]}', {}, 400],
      ['POST', '/kiln/v1/images/save', '{"names":["busybox:1"],"format":"zip"}', {}, 400],
      ['POST', '/kiln/v1/images/save', '{"names":["nosuch:1"]}', {}, 404],
      ['POST', '/kiln/v1/images/save/layout', '{"names":["busybox:1"],"path":"relative"}', {}, 400],
      ['POST', '/kiln/v1/images/load', 'not a tar archive', {}, 400],
      ['POST', '/kiln/v1/images/load/layout', '[]', {}, 400],
      ['POST', '/kiln/v1/auth', '"x"', {}, 400],
    ];
    for (const [method, path, body, headers, status] of cases) {
      const answer = await raw(method, path, body, headers);
      assert.equal(answer.status, status, `${method} ${path} ${body ?? ''}: ${JSON.stringify(answer.json)}`);
      assert.equal(typeof answer.json.message, 'string');
      assert.equal(answer.json.code, status === 404 ? 'NOT_FOUND' : 'INVALID_ARGUMENT', answer.json.message);
    }
    assert.equal((await raw('GET', '/kiln/v1/images/nosuch%3A1')).json.message, 'No such image: nosuch:1');
    const list = await raw('GET', '/kiln/v1/images');
    assert.equal(list.status, 200);
    assert.ok(JSON.stringify(list.json).includes('"repository":"busybox","tag":"1"'), 'the image a bad DELETE named is still there');
  });
});

describe('kiln save through the daemon, failing after the archive has begun', () => {
  it('reports the daemon\'s error and keeps no file', async () => {
    const fixture = await buildBusyboxImage(join(await tempDir('cli-daemon-broken'), 'layout'), { tag: 'busybox:1' });
    const user = await kilnUser('cli-daemon-broken');
    assert.equal((await user.kiln(['load', '-i', fixture.layoutDir])).status, 0);
    // The layer's blob goes behind the store's back: the archive fails once it reaches it.
    await rm(join(user.root, 'content', 'blobs', 'sha256', fixture.layerDigest.slice('sha256:'.length)));
    const dir = await tempDir('cli-daemon-broken-out');
    const saved = await user.kiln(['save', '-o', join(dir, 'x.tar'), 'busybox:1']);
    assert.equal(saved.status, 1);
    assert.match(saved.stderr, new RegExp(`blob ${fixture.layerDigest} not found`));
    assert.doesNotMatch(saved.stderr, /closed the connection|internal error/);
    assert.deepEqual(await readdir(dir), []);
  });
});
