// kiln against the real distribution registry, checked by an independent client (skopeo):
// what kiln pushes, skopeo reads back byte for byte, and what skopeo pushes, kiln pulls and
// lists as docker would.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildBusyboxImage } from '../helpers/busybox-image.js';
import { kilnUser, skopeoDigest, skopeoPush, tool } from '../helpers/kiln-env.js';
import { startRegistry } from '../helpers/registry-server.js';
import { tempDir } from '../helpers/tmp.js';

// One registry and one fixture for the file; each test has its own store and repository.
const registry = await startRegistry();
const fixture = await buildBusyboxImage(join(await tempDir('interop-layout'), 'layout'), { tag: 'busybox:1' });
const manifestSize = fixture.index.manifests[0]?.size ?? 0;

const short = (digest: string): string => digest.slice('sha256:'.length, 'sha256:'.length + 12);

describe('kiln push, read back by skopeo', () => {
  it('pushes every local tag of a repository with --all-tags', async () => {
    const user = await kilnUser('push-all-tags');
    const repo = `${registry.host}/interop/all-tags`;
    assert.equal((await user.kiln(['load', '-i', fixture.layoutDir])).status, 0);
    for (const tag of ['a', 'b']) assert.equal((await user.kiln(['tag', 'busybox:1', `${repo}:${tag}`])).status, 0);
    const pushed = await user.kiln(['push', '--all-tags', repo]);
    assert.equal(pushed.status, 0, pushed.stderr);
    for (const tag of ['a', 'b']) {
      assert.ok(pushed.stdout.includes(`${tag}: digest: ${fixture.manifestDigest} size: ${manifestSize}\n`), pushed.stdout);
      assert.equal((await skopeoDigest(`${repo}:${tag}`)).digest, fixture.manifestDigest);
    }
    const refused = await user.kiln(['push', '-a', `${repo}:a`]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /--all-tags/);
  });

  it('pushes the manifest skopeo sees, with the same blobs, and skips layers the second time', async () => {
    const user = await kilnUser('push-interop');
    const name = `${registry.host}/interop/busybox:v1`;
    const loaded = await user.kiln(['load', '-i', fixture.layoutDir]);
    assert.equal(loaded.status, 0, loaded.stderr);
    assert.equal(loaded.stdout, 'Loaded image: busybox:1\n');
    const tagged = await user.kiln(['tag', 'busybox:1', name]);
    assert.equal(tagged.status, 0, tagged.stderr);

    const pushed = await user.kiln(['push', name]);
    assert.equal(pushed.status, 0, pushed.stderr);
    const digestLine = `v1: digest: ${fixture.manifestDigest} size: ${manifestSize}\n`;
    assert.ok(pushed.stdout.startsWith(`The push refers to repository [${registry.host}/interop/busybox]\n`), pushed.stdout);
    assert.ok(pushed.stdout.includes(`${short(fixture.layerDigest)}: Pushed\n`), pushed.stdout);
    assert.ok(pushed.stdout.endsWith(digestLine), pushed.stdout);

    const raw = await tool('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${name}`]);
    assert.equal(raw.status, 0, raw.stderr);
    assert.equal(`sha256:${createHash('sha256').update(raw.stdout).digest('hex')}`, fixture.manifestDigest);
    assert.equal((await skopeoDigest(name)).digest, fixture.manifestDigest);

    const copyDir = join(await tempDir('interop-copy'), 'layout');
    const copied = await tool('skopeo', ['--insecure-policy', 'copy', '--src-tls-verify=false', `docker://${name}`, `oci:${copyDir}:v1`]);
    assert.equal(copied.status, 0, copied.stderr);
    const index = JSON.parse(await readFile(join(copyDir, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    assert.deepEqual(index.manifests.map((m) => m.digest), [fixture.manifestDigest]);
    const blobs = (await readdir(join(copyDir, 'blobs', 'sha256'))).sort();
    const expected = [fixture.manifestDigest, fixture.configDigest, fixture.layerDigest].map((d) => d.slice('sha256:'.length)).sort();
    assert.deepEqual(blobs, expected);

    const again = await user.kiln(['push', name]);
    assert.equal(again.status, 0, again.stderr);
    assert.ok(again.stdout.includes(`${short(fixture.layerDigest)}: Layer already exists\n`), again.stdout);
    assert.ok(!again.stdout.includes('Pushed'), again.stdout);
    assert.ok(again.stdout.endsWith(digestLine), again.stdout);
  });
});

describe('skopeo push, pulled and listed by kiln', () => {
  it('pulls with docker-style lines, lists and inspects the image, and is up to date the second time', async () => {
    const user = await kilnUser('pull-interop');
    const repo = `${registry.host}/skopeo/busybox`;
    const name = `${repo}:1.0`;
    await skopeoPush(fixture.layoutDir, 'busybox:1', name);

    const pulled = await user.kiln(['pull', name]);
    assert.equal(pulled.status, 0, pulled.stderr);
    assert.deepEqual(pulled.stdout.split('\n'), [
      '1.0: Pulling from skopeo/busybox',
      `${short(fixture.layerDigest)}: Pulling fs layer`,
      `${short(fixture.layerDigest)}: Pull complete`,
      `Digest: ${fixture.manifestDigest}`,
      `Status: Downloaded newer image for ${name}`,
      name,
      '',
    ]);

    // Read-only commands, run side by side to keep the test quick.
    const [table, quiet, digests, json, template, inspected] = await Promise.all([
      user.kiln(['images']),
      user.kiln(['images', '-q']),
      user.kiln(['image', 'ls', '--digests']),
      user.kiln(['images', '--format', 'json']),
      user.kiln(['images', '--format', '{{.Repository}}:{{.Tag}}']),
      user.kiln(['image', 'inspect', name]),
    ]);
    assert.equal(table.status, 0, table.stderr);
    const [header, row, ...rest] = table.stdout.trimEnd().split('\n');
    assert.deepEqual(header?.split(/\s{2,}/), ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE']);
    assert.deepEqual(row?.split(/\s{2,}/).slice(0, 3), [repo, '1.0', short(fixture.configDigest)]);
    assert.deepEqual(rest, []);

    assert.equal(quiet.stdout, `${short(fixture.configDigest)}\n`);
    assert.deepEqual(digests.stdout.trimEnd().split('\n')[1]?.split(/\s{2,}/).slice(0, 4), [repo, '1.0', fixture.manifestDigest, short(fixture.configDigest)]);
    const rows = json.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, string>);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.['Repository'], repo);
    assert.equal(rows[0]?.['Tag'], '1.0');
    assert.equal(rows[0]?.['ID'], short(fixture.configDigest));
    assert.equal(rows[0]?.['Digest'], fixture.manifestDigest);
    assert.equal(template.stdout, `${name}\n`);

    assert.equal(inspected.status, 0, inspected.stderr);
    const [image, ...others] = JSON.parse(inspected.stdout) as Record<string, unknown>[];
    assert.deepEqual(others, []);
    assert.equal(image?.['Id'], fixture.configDigest);
    assert.deepEqual(image?.['RepoTags'], [name]);
    assert.deepEqual(image?.['RepoDigests'], [`${repo}@${fixture.manifestDigest}`]);
    assert.deepEqual((image?.['RootFS'] as { Layers: string[] }).Layers, [fixture.diffId]);

    const again = await user.kiln(['pull', name]);
    assert.equal(again.status, 0, again.stderr);
    assert.ok(again.stdout.includes(`Digest: ${fixture.manifestDigest}\n`), again.stdout);
    assert.ok(again.stdout.includes(`Status: Image is up to date for ${name}\n`), again.stdout);
    assert.ok(!again.stdout.includes('Pull complete'), again.stdout);
  });
});
