import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { DockerArchiveTarget } from '../../../src/archive/docker-archive.js';
import { OciLayoutSource } from '../../../src/archive/oci-layout.js';
import { digestHex } from '../../../src/content/index.js';
import { MediaTypes, parseIndex } from '../../../src/image/index.js';
import { isKilnError } from '../../../src/util/errors.js';
import { addSiblingImage, rootOf, saveArchive } from '../../helpers/archive-fixtures.js';
import { buildBusyboxImage } from '../../helpers/busybox-image.js';
import { blobPath } from '../../helpers/oci-layout.js';
import { entryData, readTar } from '../../helpers/tar-files.js';
import { tempDir } from '../../helpers/tmp.js';
import { copyImage } from '../../../src/image/copy.js';

const work = await tempDir('archive-docker');
const busybox = await buildBusyboxImage(join(work, 'layout'));
const root = rootOf(busybox);
const sibling = await addSiblingImage(busybox);
const blob = (hex: string) => `blobs/sha256/${hex}`;

describe('DockerArchiveTarget', () => {
  it('writes the layout, manifest.json, repositories and index.json as docker save does', async () => {
    const tar = await saveArchive(busybox.layoutDir, [{ root, names: ['busybox:latest', 'registry.example.com:5000/team/busybox:1'] }]);
    const entries = await readTar(tar);
    const configHex = digestHex(busybox.configDigest);
    const layerHex = digestHex(busybox.layerDigest);
    assert.deepEqual(entries.map((e) => e.header.name), [
      'oci-layout', 'blobs/', 'blobs/sha256/',
      blob(configHex), blob(layerHex), blob(digestHex(busybox.manifestDigest)),
      'index.json', 'manifest.json', 'repositories',
    ]);
    assert.ok(entries.every((e) => e.header.mtime.getTime() === 0 && e.header.uid === 0));
    assert.deepEqual(JSON.parse(entryData(entries, 'oci-layout').toString()), { imageLayoutVersion: '1.0.0' });
    for (const digest of [busybox.configDigest, busybox.layerDigest, busybox.manifestDigest]) {
      assert.deepEqual(entryData(entries, blob(digestHex(digest))), await readFile(blobPath(busybox.layoutDir, digest)));
    }
    assert.deepEqual(JSON.parse(entryData(entries, 'manifest.json').toString()), [{
      Config: blob(configHex),
      RepoTags: ['busybox:latest', 'registry.example.com:5000/team/busybox:1'],
      Layers: [blob(layerHex)],
    }]);
    assert.deepEqual(JSON.parse(entryData(entries, 'repositories').toString()), {
      busybox: { latest: layerHex },
      'registry.example.com:5000/team/busybox': { 1: layerHex },
    });
    const index = parseIndex(entryData(entries, 'index.json'));
    assert.deepEqual(index.manifests, [
      { ...root, annotations: { 'io.containerd.image.name': 'docker.io/library/busybox:latest', 'org.opencontainers.image.ref.name': 'latest' } },
      { ...root, annotations: { 'io.containerd.image.name': 'registry.example.com:5000/team/busybox:1', 'org.opencontainers.image.ref.name': '1' } },
    ]);
  });

  it('is a tar that GNU tar lists and an OCI layout once extracted', async () => {
    const file = join(work, 'busybox.tar');
    await writeFile(file, await saveArchive(busybox.layoutDir, [{ root, names: ['busybox'] }], 'oci'));
    const { stdout } = await promisify(execFile)('tar', ['-tf', file]);
    assert.ok(!stdout.includes('manifest.json'), 'the oci format has no manifest.json');
    const dir = join(work, 'extracted');
    await promisify(execFile)('mkdir', ['-p', dir]);
    await promisify(execFile)('tar', ['-xf', file, '-C', dir]);
    const layout = await OciLayoutSource.open(dir);
    assert.deepEqual(layout.images().map((i) => [i.name, i.desc.digest]), [['docker.io/library/busybox:latest', busybox.manifestDigest]]);
  });

  it('writes a blob shared by several images once and lists unnamed images without tags', async () => {
    const tar = await saveArchive(busybox.layoutDir, [{ root, names: ['a:1'] }, { root: sibling, names: [] }]);
    const entries = await readTar(tar);
    const layer = blob(digestHex(busybox.layerDigest));
    assert.equal(entries.filter((e) => e.header.name === layer).length, 1);
    const list = JSON.parse(entryData(entries, 'manifest.json').toString()) as { RepoTags: string[]; Layers: string[] }[];
    assert.deepEqual(list.map((i) => [i.RepoTags, i.Layers]), [[['a:1'], [layer]], [[], [layer]]]);
    assert.deepEqual(JSON.parse(entryData(entries, 'repositories').toString()), { a: { 1: digestHex(busybox.layerDigest) } });
    assert.deepEqual(parseIndex(entryData(entries, 'index.json')).manifests.map((d) => [d.digest, d.annotations]), [
      [root.digest, { 'io.containerd.image.name': 'docker.io/library/a:1', 'org.opencontainers.image.ref.name': '1' }],
      [sibling.digest, undefined],
    ]);
  });

  it('fails the whole archive when a blob stream fails midway', async () => {
    const out = new PassThrough();
    out.resume();
    const target = new DockerArchiveTarget(out, { images: [{ root, names: ['x'] }] });
    const content = new Readable({
      read() {
        this.push(Buffer.alloc(100));
        this.destroy(new Error('blob sha256:… has bytes that hash to something else'));
      },
    });
    const layer = { mediaType: MediaTypes.ociLayerGzip, digest: busybox.layerDigest, size: 1000 };
    await assert.rejects(target.writeBlob(layer, content), /hash to something else/);
    assert.equal(await target.exists(layer), false);
    await assert.rejects(target.close(), /hash to something else/);
    assert.ok(out.destroyed);
  });

  it('refuses to close before every declared image was copied, and breaks the stream', async () => {
    const out = new PassThrough();
    out.resume();
    const target = new DockerArchiveTarget(out, { images: [{ root, names: ['x'] }, { root: sibling, names: [] }] });
    await copyImage(await OciLayoutSource.open(busybox.layoutDir), target, root);
    const err = await target.close().then(() => assert.fail('expected a rejection'), (e: unknown) => e);
    assert.ok(isKilnError(err) && err.code === 'FAILED_PRECONDITION', String(err));
    assert.match(err.message, new RegExp(`image ${sibling.digest} \\(unnamed\\) was not copied`));
    assert.ok(out.destroyed, 'an unfinished archive must not look complete');
  });
});
