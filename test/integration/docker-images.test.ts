// The stock docker CLI driving kilnd's image endpoints: images (with a reference filter and
// -q), image inspect and inspect --format, tag, rmi, push to and pull from a real registry
// (docker-registry), login against one behind htpasswd then a push with those credentials,
// save and load through files, and image prune. Each docker client (Debian's 20.10, required,
// and a 28.x where present) works on names of its own in one daemon. Raw requests check that
// bad input gets a JSON 4xx and the daemon goes on serving.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { canRunContainers } from '../helpers/kiln-env.js';
import { clientSkip, docker, dockerClients, startKilnd, type DockerClient, type DockerResult } from '../helpers/kilnd.js';
import { MediaTypes } from '../../src/image/index.js';
import { addSiblingImage } from '../helpers/archive-fixtures.js';
import { buildBusyboxImage } from '../helpers/busybox-image.js';
import { writeLayoutIndex } from '../helpers/oci-layout.js';
import { buildRandomImage } from '../helpers/random-image.js';
import { startRegistry } from '../helpers/registry-server.js';
import { tempDir } from '../helpers/tmp.js';

const exec = promisify(execFile);

// Started at the module's top level: a describe-level before hook ran after the tests here.
const started = canRunContainers ? await startKilnd('docker-images') : undefined;
after(async () => started?.stop());
const registry = canRunContainers ? await startRegistry() : undefined;
const credentials = { username: 'tester', password: 's3cret' };
const authRegistry = canRunContainers ? await startRegistry({ htpasswd: credentials }) : undefined;

interface Raw {
  status: number;
  body: string;
}

function raw(method: string, path: string, options: { body?: Buffer; headers?: Record<string, string> } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: started?.socket ?? '', method, path, headers: options.headers ?? {} }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** An image of its own (one random layer) as an OCI layout tar, named `name` or, with a bare tag, unnamed. */
async function imageTar(dir: string, name: string): Promise<{ tar: string; configDigest: string }> {
  const layout = join(dir, `layout-${name.replace(/[^a-z0-9]/g, '-')}`);
  const image = await buildRandomImage(layout, 64 << 10, name);
  const tar = `${layout}.tar`;
  await exec('tar', ['-C', layout, '-cf', tar, '.']);
  return { tar, configDigest: image.configDigest };
}

/** A runnable image of its own (busybox's layer under another config) as an OCI layout tar named `name`. */
async function runnableImageTar(dir: string, name: string): Promise<string> {
  const busybox = await buildBusyboxImage(join(dir, 'sibling'));
  const sibling = await addSiblingImage(busybox);
  await writeLayoutIndex(busybox.layoutDir, {
    schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [{ ...sibling, annotations: { 'io.containerd.image.name': name } }],
  });
  const tar = join(dir, 'sibling.tar');
  await exec('tar', ['-C', busybox.layoutDir, '-cf', tar, '.']);
  return tar;
}

/** The table rows of `docker images` as [repository, tag, id]. */
function rows(result: DockerResult): string[][] {
  assert.equal(result.code, 0, result.stderr);
  const [header, ...lines] = result.stdout.trim().split('\n');
  assert.match(header ?? '', /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
  return lines.map((line) => line.split(/\s{2,}/).slice(0, 3));
}

function ok(result: DockerResult): string {
  assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}`);
  return result.stdout;
}

describe('the docker CLI on kilnd\'s image endpoints', { skip: started === undefined ? 'needs root for the daemon' : false }, () => {
  const kilnd = started!;
  const run = (client: DockerClient, args: string[], env: NodeJS.ProcessEnv = {}): Promise<DockerResult> => docker(kilnd, client, args, { env });

  for (const client of dockerClients) {
    const own = client.path === '/usr/bin/docker' ? 'c20' : 'c28';

    it(`${client.name}: tag, images (all, by name, -q), image inspect and inspect --format`, clientSkip(client), async () => {
      assert.equal(ok(await run(client, ['tag', 'busybox:1', `img-${own}:a`])), '');
      ok(await run(client, ['tag', 'busybox:1', `img-${own}:b`]));
      const [busyboxId] = JSON.parse(ok(await run(client, ['image', 'inspect', 'busybox:1']))) as [{ Id: string }];
      const shortId = busyboxId.Id.slice('sha256:'.length, 'sha256:'.length + 12);
      const all = rows(await run(client, ['images']));
      assert.deepEqual(all.filter(([repo]) => repo === `img-${own}` || repo === 'busybox').sort(), [['busybox', '1', shortId], [`img-${own}`, 'a', shortId], [`img-${own}`, 'b', shortId]]);
      assert.deepEqual(rows(await run(client, ['images', `img-${own}`])), [[`img-${own}`, 'a', shortId], [`img-${own}`, 'b', shortId]]);
      const ids = ok(await run(client, ['images', '-q'])).trim().split('\n');
      assert.ok(ids.every((id) => /^[0-9a-f]{12}$/.test(id)) && ids.includes(shortId), ids.join(' '));

      const [inspected] = JSON.parse(ok(await run(client, ['image', 'inspect', `img-${own}:a`]))) as [Record<string, unknown> & { Config: Record<string, unknown> }];
      for (const key of ['Id', 'RepoTags', 'RepoDigests', 'Parent', 'Comment', 'Created', 'Container', 'ContainerConfig', 'DockerVersion', 'Author', 'Architecture', 'Os', 'Size', 'VirtualSize', 'GraphDriver', 'RootFS', 'Metadata']) {
        assert.ok(key in inspected, `inspect has ${key}`);
      }
      for (const key of ['Cmd', 'Entrypoint', 'Env', 'WorkingDir', 'User', 'Labels', 'ExposedPorts', 'Volumes', 'OnBuild']) assert.ok(key in inspected.Config, `Config has ${key}`);
      assert.equal(inspected['Id'], busyboxId.Id);
      assert.ok((inspected['RepoTags'] as string[]).includes(`img-${own}:b`));
      // docker inspect asks for a container first and takes the image after its 404.
      const formatted = ok(await run(client, ['inspect', '--format', '{{.Config.Env}} {{.Os}} {{.Id}}', `img-${own}:a`]));
      assert.match(formatted.trim(), new RegExp(`^\\[PATH=[^\\]]*\\] linux ${busyboxId.Id}$`));
      const missing = await run(client, ['image', 'inspect', `nope-${own}:1`]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, new RegExp(`No such image: nope-${own}:1`));
    });

    it(`${client.name}: rmi untags one of two names, and an unknown image fails with docker's message`, clientSkip(client), async () => {
      ok(await run(client, ['tag', 'busybox:1', `rm-${own}:a`]));
      ok(await run(client, ['tag', 'busybox:1', `rm-${own}:b`]));
      assert.equal(ok(await run(client, ['rmi', `rm-${own}:a`])), `Untagged: rm-${own}:a\n`);
      assert.deepEqual(rows(await run(client, ['images', `rm-${own}`])).map(([repo, tag]) => `${repo}:${tag}`), [`rm-${own}:b`]);
      const missing = await run(client, ['rmi', `nope-${own}:404`]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, new RegExp(`No such image: nope-${own}:404`));
    });

    it(`${client.name}: push to a registry prints the digest line, rmi then pull brings the image back`, clientSkip(client), async () => {
      const name = `${registry!.host}/bb-${own}:1`;
      ok(await run(client, ['tag', 'busybox:1', name]));
      const pushed = ok(await run(client, ['push', name]));
      assert.match(pushed, new RegExp(`^The push refers to repository \\[${registry!.host}/bb-${own}\\]\n`));
      assert.match(pushed, /^[0-9a-f]{12}: Preparing$/m);
      assert.match(pushed, /^[0-9a-f]{12}: (Pushed|Layer already exists)$/m);
      const digest = /^1: digest: (sha256:[0-9a-f]{64}) size: \d+$/m.exec(pushed)?.[1];
      assert.ok(digest !== undefined, pushed);
      // The registry itself has the manifest under the tag.
      const head = await fetch(`http://${registry!.host}/v2/bb-${own}/manifests/1`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } });
      assert.equal(head.headers.get('docker-content-digest'), digest);

      assert.match(ok(await run(client, ['rmi', name])), new RegExp(`^Untagged: ${name}\n`));
      assert.deepEqual(rows(await run(client, ['images', `${registry!.host}/bb-${own}`])), []);
      const pulled = ok(await run(client, ['pull', name]));
      assert.match(pulled, new RegExp(`^Digest: ${digest}$`, 'm'));
      assert.match(pulled, new RegExp(`^Status: Downloaded newer image for ${name}$`, 'm'));
      assert.deepEqual(rows(await run(client, ['images', `${registry!.host}/bb-${own}`])).map(([, tag]) => tag), ['1']);
      const [image] = JSON.parse(ok(await run(client, ['image', 'inspect', name]))) as [{ RepoDigests: string[] }];
      // The image is busybox's, which other names pushed elsewhere too: each repository's digest is listed.
      assert.ok(image.RepoDigests.includes(`${registry!.host}/bb-${own}@${digest}`), image.RepoDigests.join(' '));
      assert.match(ok(await run(client, ['pull', name])), new RegExp(`^Status: Image is up to date for ${name}$`, 'm'));

      const missing = await run(client, ['pull', `${registry!.host}/bb-${own}:nope`]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, new RegExp(`manifest for ${registry!.host}/bb-${own}:nope not found`));
    });

    it(`${client.name}: load -i, save -o, rmi deletes the image, load brings it back; a broken tar loads nothing`, clientSkip(client), async () => {
      const dir = await tempDir(`docker-images-${own}`);
      const { tar, configDigest } = await imageTar(dir, `rnd-${own}:1`);
      assert.equal(ok(await run(client, ['load', '-i', tar])), `Loaded image: rnd-${own}:1\n`);
      const saved = join(dir, 'saved.tar');
      assert.equal(ok(await run(client, ['save', '-o', saved, `rnd-${own}:1`])), '');
      const { stdout: members } = await exec('tar', ['-tf', saved]);
      assert.ok(members.split('\n').includes('manifest.json'), members);

      const removed = ok(await run(client, ['rmi', `rnd-${own}:1`]));
      assert.match(removed, new RegExp(`^Untagged: rnd-${own}:1\nDeleted: ${configDigest}\n`));
      assert.deepEqual(rows(await run(client, ['images', `rnd-${own}`])), []);
      assert.equal(ok(await run(client, ['load', '-i', saved])), `Loaded image: rnd-${own}:1\n`);
      assert.equal(ok(await run(client, ['image', 'inspect', '--format', '{{.Id}}', `rnd-${own}:1`])).trim(), configDigest);

      const bytes = await readFile(saved);
      const truncated = join(dir, 'truncated.tar');
      await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
      ok(await run(client, ['rmi', `rnd-${own}:1`]));
      const broken = await run(client, ['load', '-i', truncated]);
      assert.equal(broken.code, 1, broken.stdout);
      assert.deepEqual(rows(await run(client, ['images', `rnd-${own}`])), [], 'nothing named after a failed load');
    });

    it(`${client.name}: rmi refuses the last name of an image a container uses, -f untags it and keeps the image`, clientSkip(client), async () => {
      const dir = await tempDir(`docker-in-use-${own}`);
      assert.equal(ok(await run(client, ['load', '-i', await runnableImageTar(dir, `use-${own}:1`)])), `Loaded image: use-${own}:1\n`);
      const id = ok(await run(client, ['image', 'inspect', '--format', '{{.Id}}', `use-${own}:1`])).trim();
      // The container comes from kiln's own CLI, through the same daemon.
      const kiln = (args: string[]) => kilnd.user.kiln(args, { env: { KILN_HOST: `unix://${kilnd.socket}` } });
      const ran = await kiln(['run', '--name', `holder-${own}`, `use-${own}:1`, 'true']);
      assert.equal(ran.status, 0, ran.stderr);
      const refused = await run(client, ['rmi', `use-${own}:1`]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, new RegExp(`conflict: unable to remove repository reference "use-${own}:1" \\(must force\\) - container [0-9a-f]{12} is using its referenced image ${id.slice(7, 19)}`));
      assert.equal(ok(await run(client, ['rmi', '-f', `use-${own}:1`])), `Untagged: use-${own}:1\n`);
      const dangling = rows(await run(client, ['images'])).filter(([repo]) => repo === '<none>');
      assert.ok(dangling.some(([, , shown]) => shown === id.slice(7, 19)), 'the image stays for its container');
      // Once the container is gone the image is dangling garbage, which prune takes.
      assert.equal((await kiln(['rm', `holder-${own}`])).status, 0);
      assert.match(ok(await run(client, ['image', 'prune', '-f'])), new RegExp(`^deleted: ${id}$`, 'm'));
    });

    it(`${client.name}: login against an htpasswd registry refuses a bad password, then a push uses the stored login`, clientSkip(client), async () => {
      const host = authRegistry!.host;
      // A config dir per client: a login is kept by the CLI, and one client's must not help the other.
      const env = { DOCKER_CONFIG: await tempDir(`docker-config-${own}`) };
      const login = (password: string): Promise<DockerResult> => new Promise((resolve, reject) => {
        const child = execFile(client.path, ['login', host, '-u', credentials.username, '--password-stdin'], {
          env: { ...process.env, DOCKER_HOST: `unix://${kilnd.socket}`, ...env },
        }, (err, stdout, stderr) => {
          const code = err === null ? 0 : (err as { code?: unknown }).code;
          if (typeof code !== 'number') reject(err);
          else resolve({ code, stdout, stderr });
        });
        child.stdin?.end(`${password}\n`);
      });
      const bad = await login('wrong');
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, new RegExp(`login attempt to ${host}/v2/ failed with status: 401 Unauthorized`));

      const name = `${host}/sec-${own}:1`;
      ok(await run(client, ['tag', 'busybox:1', name], env));
      const anonymous = await run(client, ['push', name], env);
      assert.equal(anonymous.code, 1, anonymous.stdout);
      assert.match(anonymous.stderr, /authentication required|401/);

      assert.match(ok(await login(credentials.password)), /Login Succeeded/);
      assert.match(ok(await run(client, ['push', name], env)), /^1: digest: sha256:[0-9a-f]{64} size: \d+$/m);
      ok(await run(client, ['rmi', name], env));
      assert.match(ok(await run(client, ['pull', name], env)), /^Status: Downloaded newer image for /m);
    });

    it(`${client.name}: image prune -f removes a dangling image and keeps named ones`, clientSkip(client), async () => {
      const { tar, configDigest } = await imageTar(await tempDir(`docker-prune-${own}`), 'latest');
      assert.equal(ok(await run(client, ['load', '-i', tar])), `Loaded image ID: ${configDigest}\n`);
      assert.ok(rows(await run(client, ['images'])).some(([repo, tag]) => repo === '<none>' && tag === '<none>'));
      const pruned = ok(await run(client, ['image', 'prune', '-f']));
      assert.match(pruned, new RegExp(`^deleted: ${configDigest}$`, 'm'));
      assert.match(pruned, /^Total reclaimed space: /m);
      const left = rows(await run(client, ['images']));
      assert.ok(!left.some(([repo]) => repo === '<none>'), JSON.stringify(left));
      assert.ok(left.some(([repo, tag]) => repo === 'busybox' && tag === '1'));
      assert.match(ok(await run(client, ['system', 'df'])), /^Images\s+\d+\s+\d+\s+\S+/m);
    });
  }

  it('takes X-Registry-Auth as user and password or as `auth`, and refuses a pull without credentials with dockerd\'s 500', async () => {
    const host = authRegistry!.host;
    const header = (config: object): Record<string, string> => ({ 'X-Registry-Auth': Buffer.from(JSON.stringify(config)).toString('base64url') });
    assert.equal((await raw('POST', `/v1.41/images/busybox:1/tag?repo=${encodeURIComponent(`${host}/raw`)}&tag=1`)).status, 201);
    const pushed = await raw('POST', `/v1.41/images/${host}/raw/push?tag=1`, { headers: header({ ...credentials, serveraddress: host }) });
    assert.equal(pushed.status, 200);
    assert.match(pushed.body, /"status":"1: digest: sha256:[0-9a-f]{64} size: \d+"/);
    assert.doesNotMatch(pushed.body, /errorDetail/);
    const pull = `/v1.41/images/create?fromImage=${encodeURIComponent(`${host}/raw`)}&tag=1`;
    const anonymous = await raw('POST', pull, { headers: { 'X-Registry-Auth': 'e30=' } });
    assert.equal(anonymous.status, 500, anonymous.body);
    assert.match((JSON.parse(anonymous.body) as { message: string }).message, /authentication required/);
    const pulled = await raw('POST', pull, { headers: header({ auth: Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64') }) });
    assert.equal(pulled.status, 200);
    assert.match(pulled.body, new RegExp(`"status":"Status: (Image is up to date|Downloaded newer image) for ${host}/raw:1"`));
  });

  it('answers bad input with a JSON 4xx and keeps serving', async () => {
    const message = (result: Raw): string => (JSON.parse(result.body) as { message: string }).message;
    const badJson = await raw('GET', `/v1.41/images/json?filters=${encodeURIComponent('{not json')}`);
    assert.equal(badJson.status, 400);
    assert.match(message(badJson), /invalid filters/);
    const unknownFilter = await raw('GET', `/v1.41/images/json?filters=${encodeURIComponent('{"colour":{"red":true}}')}`);
    assert.deepEqual([unknownFilter.status, message(unknownFilter)], [400, "invalid filter 'colour'"]);
    const unknown = await raw('GET', '/v1.41/images/no/such:image/json');
    assert.deepEqual([unknown.status, message(unknown)], [404, 'No such image: no/such:image']);
    const badEscape = await raw('GET', '/v1.41/images/%zz/json');
    assert.deepEqual([badEscape.status, message(badEscape)], [404, 'No such image: %zz']);
    const badAuth = await raw('POST', '/v1.41/images/busybox/push?tag=1', { headers: { 'X-Registry-Auth': '!!not-base64!!' } });
    assert.equal(badAuth.status, 400);
    assert.match(message(badAuth), /X-Registry-Auth/);
    const importing = await raw('POST', '/v1.41/images/create?fromSrc=-&repo=x');
    assert.equal(importing.status, 501);
    const garbage = await raw('POST', '/v1.41/images/load?quiet=1', { body: Buffer.alloc(64 << 10, 'x'), headers: { 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked' } });
    assert.ok(garbage.status >= 400 && garbage.status < 500, `${garbage.status} ${garbage.body}`);
    assert.ok(message(garbage).length > 0);
    const df = await raw('GET', '/v1.41/system/df');
    assert.equal(df.status, 200);
    assert.deepEqual(Object.keys(JSON.parse(df.body) as object).sort(), ['BuildCache', 'BuilderSize', 'Containers', 'Images', 'LayersSize', 'Volumes']);
    assert.equal((await raw('GET', '/_ping')).body, 'OK');
  });
});
