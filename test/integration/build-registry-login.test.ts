// `kiln build` of a Dockerfile whose base image sits behind a registry login: the daemon asks
// the CLI for the login on the build's connection and the CLI answers from the user's docker
// config. Another user of the same daemon, without the login, is refused: the daemon keeps no
// credentials of its own and reuses none across builds; and a rebuild that pulls nothing asks
// nothing. The password never reaches the daemon's log.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildBusyboxImage } from '../helpers/busybox-image.js';
import { canRunContainers, skopeoPush } from '../helpers/kiln-env.js';
import { startKilnd } from '../helpers/kilnd.js';
import { startRegistry } from '../helpers/registry-server.js';
import { tempDir } from '../helpers/tmp.js';

const htpasswd = { username: 'builder', password: 'kiln-b-secret' };
const kilnd = canRunContainers ? await startKilnd('build-registry-login') : undefined;
const registry = canRunContainers ? await startRegistry({ htpasswd }) : undefined;
after(async () => {
  await kilnd?.stop();
  await registry?.stop();
});

describe('kiln build with a base image behind a registry login', { skip: canRunContainers ? false : 'needs root for the daemon' }, () => {
  it('pulls with the CLI user\'s login, asked for by the daemon, and only for that user', async () => {
    const fixture = await buildBusyboxImage(join(await tempDir('build-login-layout'), 'layout'), { tag: 'busybox:1' });
    const base = `${registry!.host}/private/busybox:1`;
    await skopeoPush(fixture.layoutDir, 'busybox:1', base, `${htpasswd.username}:${htpasswd.password}`);
    const context = await tempDir('build-login-context');
    await writeFile(join(context, 'Dockerfile'), `FROM ${base}\nRUN echo private-base > /marker\n`);
    const kiln = (args: string[], config: string, input?: string) =>
      kilnd!.user.kiln(['--host', `unix://${kilnd!.socket}`, ...args], { env: { DOCKER_CONFIG: config }, ...(input === undefined ? {} : { input }) });

    const stranger = await tempDir('build-login-stranger');
    const refused = await kiln(['build', '--progress=plain', '-t', 'private:1', context], stranger);
    assert.notEqual(refused.status, 0, 'without a login the registry refuses the pull');
    assert.match(refused.stderr, /unauthorized|authentication required|no basic auth credentials/i);

    const owner = await tempDir('build-login-owner');
    const login = await kiln(['login', registry!.host, '-u', htpasswd.username, '--password-stdin'], owner, `${htpasswd.password}\n`);
    assert.equal(login.status, 0, login.stderr);
    const from = kilnd!.log().length;
    const built = await kiln(['build', '--progress=plain', '-t', 'private:1', context], owner);
    assert.equal(built.status, 0, built.stderr);
    const inspected = await kiln(['image', 'inspect', '--format', '{{.Id}}', 'private:1'], owner);
    assert.match(inspected.stdout, /^sha256:[0-9a-f]{64}\n$/, 'the image was built from the private base');

    // The base is local now: the stranger's build needs no registry, so it is asked nothing.
    const local = await kiln(['build', '--progress=plain', '-t', 'private:1', context], stranger);
    assert.equal(local.status, 0, local.stderr);

    // A base the store does not have, from the same registry: the owner's login was not kept.
    const elsewhere = await tempDir('build-login-elsewhere');
    await skopeoPush(fixture.layoutDir, 'busybox:1', `${registry!.host}/private/other:1`, `${htpasswd.username}:${htpasswd.password}`);
    await writeFile(join(elsewhere, 'Dockerfile'), `FROM ${registry!.host}/private/other:1\nRUN echo other\n`);
    const again = await kiln(['build', '--progress=plain', '-t', 'private:2', elsewhere], stranger);
    assert.notEqual(again.status, 0, 'the owner\'s login is not kept for another build');
    assert.match(again.stderr, /unauthorized|authentication required|no basic auth credentials/i);
    assert.doesNotMatch(kilnd!.log().slice(from), new RegExp(htpasswd.password));
  });
});
