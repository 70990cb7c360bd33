// `kiln save` / `kiln load` round trips through files, a pipe and an OCI layout directory,
// with umoci and skopeo as independent readers of what kiln writes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { extract } from 'tar-stream';
import { buildBusyboxImage } from '../helpers/busybox-image.js';
import { kilnCommand } from '../helpers/cli.js';
import { kilnUser, tool } from '../helpers/kiln-env.js';
import { tempDir } from '../helpers/tmp.js';

const work = await tempDir('save-load');
const fixture = await buildBusyboxImage(join(work, 'layout'), { tag: 'busybox:1' });
// The image every test saves: the fixture loaded into a store of its own.
const source = await kilnUser('save-source');
const loaded = await source.kiln(['load', '-i', fixture.layoutDir]);
assert.equal(loaded.status, 0, loaded.stderr);

/** Every regular file of a tar, with the text of those outside blobs/ (the small documents). */
async function tarFiles(path: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const reader = extract();
  reader.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    const keep = !header.name.startsWith('blobs/');
    stream.on('data', (chunk: unknown) => {
      if (keep) chunks.push(chunk as Buffer);
    });
    stream.on('end', () => {
      if (header.type === 'file') files.set(header.name, Buffer.concat(chunks).toString('utf8'));
      next();
    });
  });
  await pipeline(createReadStream(path), reader);
  return files;
}

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

describe('kiln save / load', () => {
  it('writes a docker-archive with OCI layout files, which loads into a fresh store as the same image', async () => {
    const tar = join(await tempDir('save-tar'), 'x.tar');
    const saved = await source.kiln(['save', '-o', tar, 'busybox:1']);
    assert.equal(saved.status, 0, saved.stderr);
    assert.equal(saved.stdout, '');
    const files = await tarFiles(tar);
    for (const name of ['oci-layout', 'index.json', 'manifest.json', 'repositories']) assert.ok(files.has(name), `${name} in ${[...files.keys()].join(', ')}`);
    const hex = (d: string): string => d.slice('sha256:'.length);
    assert.deepEqual(JSON.parse(files.get('manifest.json') ?? ''), [{
      Config: `blobs/sha256/${hex(fixture.configDigest)}`,
      RepoTags: ['busybox:1'],
      Layers: [`blobs/sha256/${hex(fixture.layerDigest)}`],
    }]);
    assert.deepEqual(JSON.parse(files.get('repositories') ?? ''), { busybox: { '1': hex(fixture.layerDigest) } });
    assert.ok(files.has(`blobs/sha256/${hex(fixture.manifestDigest)}`));

    const fresh = await kilnUser('load-tar');
    const load = await fresh.kiln(['load', '-i', tar]);
    assert.equal(load.status, 0, load.stderr);
    assert.equal(load.stdout, 'Loaded image: busybox:1\n');
    const id = await fresh.kiln(['image', 'inspect', '--format', '{{.Id}}', 'busybox:1']);
    assert.equal(id.stdout, `${fixture.configDigest}\n`);
  });

  it('streams save into load through a pipe', async () => {
    const fresh = await kilnUser('load-pipe');
    const save = kilnCommand(['--root', source.root, 'save', 'busybox:1']);
    const load = kilnCommand(['--root', fresh.root, 'load']);
    const saver = spawn(save.command, save.args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const loader = spawn(load.command, load.args, { stdio: ['pipe', 'pipe', 'inherit'] });
    saver.stdout.pipe(loader.stdin);
    let out = '';
    loader.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const [[saveCode], [loadCode]] = await Promise.all([once(saver, 'close'), once(loader, 'close')]);
    assert.equal(saveCode, 0);
    assert.equal(loadCode, 0);
    assert.equal(out, 'Loaded image: busybox:1\n');
    const id = await fresh.kiln(['images', '-q', '--no-trunc']);
    assert.equal(id.stdout, `${fixture.configDigest}\n`);
  });

  it('writes an OCI layout that umoci and skopeo read, and loads it back', async () => {
    const dir = join(await tempDir('save-layout'), 'layout');
    const saved = await source.kiln(['save', '--format', 'oci-layout', '-o', dir, 'busybox:1']);
    assert.equal(saved.status, 0, saved.stderr);
    // The layout names the entry by its tag, as the OCI spec's ref.name suggests.
    const stat = await tool('umoci', ['stat', '--image', `${dir}:1`]);
    assert.equal(stat.status, 0, stat.stderr);
    assert.ok(stat.stdout.includes(fixture.layerDigest), stat.stdout);
    const inspected = await tool('skopeo', ['inspect', `oci:${dir}:1`]);
    assert.equal(inspected.status, 0, inspected.stderr);
    assert.equal((JSON.parse(inspected.stdout) as { Digest: string }).Digest, fixture.manifestDigest);

    const fresh = await kilnUser('load-layout');
    const load = await fresh.kiln(['load', '-i', dir]);
    assert.equal(load.status, 0, load.stderr);
    assert.equal(load.stdout, 'Loaded image: busybox:1\n');
    const id = await fresh.kiln(['images', '-q', '--no-trunc']);
    assert.equal(id.stdout, `${fixture.configDigest}\n`);
  });

  it('leaves no file behind when the image is unknown', async () => {
    const dir = await tempDir('save-unknown');
    const out = join(dir, 'x.tar');
    const saved = await source.kiln(['save', '-o', out, 'busybox:1', 'nosuch:1']);
    assert.equal(saved.status, 1);
    assert.match(saved.stderr, /No such image: nosuch:1/);
    assert.deepEqual(await readdir(dir), []);
  });

  it('fails cleanly, naming the path, when the output directory does not exist', async () => {
    const dir = await tempDir('save-nodir');
    const out = join(dir, 'missing', 'x.tar');
    const saved = await source.kiln(['save', '-o', out, 'busybox:1']);
    assert.equal(saved.status, 1);
    assert.ok(!(await exists(out)));
    assert.deepEqual(await readdir(dir), []);
    // A user error, reported as one line naming the path, not a crash of node.
    assert.ok(saved.stderr.includes(join(dir, 'missing')), saved.stderr);
    assert.doesNotMatch(saved.stderr, /Unhandled 'error' event|internal error|at .*\.js:\d+/);
  });

  it('keeps an image loaded without a name as <none>, findable by ID until it is tagged', async () => {
    const layout = await buildBusyboxImage(join(await tempDir('bare-tag'), 'layout'), { tag: 'latest' });
    const user = await kilnUser('bare-tag');
    const load = await user.kiln(['load', '-i', layout.layoutDir]);
    assert.equal(load.status, 0, load.stderr);
    assert.equal(load.stdout, `Loaded image ID: ${layout.configDigest}\n`);
    const listed = await user.kiln(['images', '--format', '{{.Repository}} {{.Tag}} {{.ID}}']);
    assert.equal(listed.stdout, `<none> <none> ${layout.configDigest.slice(7, 19)}\n`);
    const tag = await user.kiln(['tag', layout.configDigest.slice(7, 15), 'example.com/bare:1']);
    assert.equal(tag.status, 0, tag.stderr);
    const after = await user.kiln(['images', '--format', '{{.Repository}}:{{.Tag}}']);
    assert.equal(after.stdout, 'example.com/bare:1\n');
    const removed = await user.kiln(['rmi', 'example.com/bare:1']);
    assert.equal(removed.status, 0, removed.stderr);
    assert.deepEqual(await user.blobs(), []);
  });
});
