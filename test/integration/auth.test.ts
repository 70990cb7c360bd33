// `kiln login` / `kiln logout` against a registry behind htpasswd auth, with credentials kept in
// DOCKER_CONFIG/config.json as docker keeps them.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildBusyboxImage } from '../helpers/busybox-image.js';
import { kilnUser } from '../helpers/kiln-env.js';
import { startRegistry } from '../helpers/registry-server.js';
import { tempDir } from '../helpers/tmp.js';

const username = 'kiln';
const password = 'p4ss:word';
const registry = await startRegistry({ htpasswd: { username, password } });
const fixture = await buildBusyboxImage(join(await tempDir('auth'), 'layout'), { tag: 'busybox:1' });

interface DockerConfig {
  auths: Record<string, { auth?: string }>;
}

describe('kiln login / logout', () => {
  it('keeps only checked credentials, pushes with them, and forgets them on logout', async () => {
    const user = await kilnUser('auth-user');
    const configFile = join(user.dockerConfig, 'config.json');
    // Another registry's login, which every step must leave alone.
    const initial = `${JSON.stringify({ auths: { 'other.example.com': { auth: Buffer.from('a:b').toString('base64') } } }, null, 2)}\n`;
    await writeFile(configFile, initial);

    const wrong = await user.kiln(['login', registry.host, '-u', username, '--password-stdin'], { input: 'wrong\n' });
    assert.equal(wrong.status, 1);
    assert.ok(wrong.stderr.includes(registry.host), wrong.stderr);
    assert.doesNotMatch(wrong.stdout, /Login Succeeded/);
    assert.equal(await readFile(configFile, 'utf8'), initial);

    const right = await user.kiln(['login', registry.host, '-u', username, '--password-stdin'], { input: `${password}\n` });
    assert.equal(right.status, 0, right.stderr);
    assert.equal(right.stdout, 'Login Succeeded\n');
    const stored = JSON.parse(await readFile(configFile, 'utf8')) as DockerConfig;
    assert.equal(stored.auths[registry.host]?.auth, Buffer.from(`${username}:${password}`).toString('base64'));
    assert.ok(stored.auths['other.example.com'] !== undefined);

    const name = `${registry.host}/private/busybox:1`;
    assert.equal((await user.kiln(['load', '-i', fixture.layoutDir])).status, 0);
    assert.equal((await user.kiln(['tag', 'busybox:1', name])).status, 0);
    const pushed = await user.kiln(['push', name]);
    assert.equal(pushed.status, 0, pushed.stderr);
    assert.ok(pushed.stdout.endsWith(`1: digest: ${fixture.manifestDigest} size: ${fixture.index.manifests[0]?.size}\n`), pushed.stdout);

    const stranger = await kilnUser('auth-stranger');
    const denied = await stranger.kiln(['pull', name]);
    assert.equal(denied.status, 1);
    assert.match(denied.stderr, /unauthorized|authentication required/i);
    assert.ok(denied.stderr.includes(registry.host), denied.stderr);
    assert.deepEqual(await stranger.blobs(), []);

    const logout = await user.kiln(['logout', registry.host]);
    assert.equal(logout.status, 0, logout.stderr);
    assert.equal(logout.stdout, `Removing login credentials for ${registry.host}\n`);
    const after = JSON.parse(await readFile(configFile, 'utf8')) as DockerConfig;
    assert.equal(after.auths[registry.host], undefined);
    assert.ok(after.auths['other.example.com'] !== undefined);
    const again = await user.kiln(['logout', registry.host]);
    assert.equal(again.stdout, `Not logged in to ${registry.host}\n`);
  });
});
