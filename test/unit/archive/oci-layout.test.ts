import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { OciLayoutSource, OciLayoutTarget } from '../../../src/archive/oci-layout.js';
import { MediaTypes, parseIndex, type Descriptor } from '../../../src/image/index.js';
import { buildBusyboxImage, type BusyboxImage } from '../../helpers/busybox-image.js';
import { blobPath } from '../../helpers/oci-layout.js';
import { tempDir } from '../../helpers/tmp.js';
import { kilnRejection } from '../../helpers/errors.js';
import { copyImage } from '../../../src/image/copy.js';

const run = promisify(execFile);

async function indexOf(dir: string) {
  return parseIndex(await readFile(join(dir, 'index.json')));
}

const work = await tempDir('archive-layout');
const busybox: BusyboxImage = await buildBusyboxImage(join(work, 'source'));
const root: Descriptor = { mediaType: MediaTypes.ociManifest, digest: busybox.manifestDigest, size: manifestSize() };

function manifestSize(): number {
  const entry = busybox.index.manifests[0];
  assert.ok(entry !== undefined);
  return entry.size;
}

describe('OCI image layouts', () => {

  it('lists the images of a layout with their ref.name', async () => {
    const source = await OciLayoutSource.open(busybox.layoutDir);
    assert.equal(source.location, `oci-layout:${busybox.layoutDir}`);
    const images = source.images();
    assert.equal(images.length, 1);
    assert.equal(images[0]?.name, 'latest');
    assert.equal(images[0]?.desc.digest, busybox.manifestDigest);
  });

  it('copies the busybox image into a new layout with identical digests and bytes', async () => {
    const dest = join(work, 'copy');
    const source = await OciLayoutSource.open(busybox.layoutDir);
    await copyImage(source, new OciLayoutTarget(dest, { names: ['latest', 'example.com/tools/busybox:1.36'] }), root);

    for (const digest of [busybox.manifestDigest, busybox.configDigest, busybox.layerDigest]) {
      assert.deepEqual(await readFile(blobPath(dest, digest)), await readFile(blobPath(busybox.layoutDir, digest)));
    }
    assert.deepEqual(JSON.parse(await readFile(join(dest, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
    const index = await indexOf(dest);
    assert.equal(index.mediaType, MediaTypes.ociIndex);
    assert.deepEqual(index.manifests.map((d) => [d.digest, d.annotations]), [
      [busybox.manifestDigest, { 'org.opencontainers.image.ref.name': 'latest' }],
      [busybox.manifestDigest, {
        'io.containerd.image.name': 'example.com/tools/busybox:1.36',
        'org.opencontainers.image.ref.name': '1.36',
      }],
    ]);
    // No temp file is left in the layout.
    assert.deepEqual((await readdir(dest)).sort(), ['blobs', 'index.json', 'oci-layout']);

    const reread = await OciLayoutSource.open(dest);
    assert.deepEqual(reread.images().map((i) => i.name), ['latest', 'example.com/tools/busybox:1.36']);
  });

  it('keeps other entries and replaces the entry of a reused tag', async () => {
    const dest = join(work, 'retag');
    const source = await OciLayoutSource.open(busybox.layoutDir);
    await copyImage(source, new OciLayoutTarget(dest, { names: ['v1'] }), root);
    const target = new OciLayoutTarget(dest, { names: ['v2', 'v1'] });
    assert.equal(await target.exists({ ...root, digest: busybox.layerDigest, size: root.size }), false, 'the size must match');
    await copyImage(source, target, root);
    const names = (await indexOf(dest)).manifests.map((d) => d.annotations?.['org.opencontainers.image.ref.name']);
    assert.deepEqual(names, ['v2', 'v1']);
  });

  it('writes a layout that umoci and skopeo read', async () => {
    const dest = join(work, 'tools');
    await copyImage(await OciLayoutSource.open(busybox.layoutDir), new OciLayoutTarget(dest, { names: ['1.0'] }), root);
    const { stdout: tags } = await run('umoci', ['ls', '--layout', dest]);
    assert.deepEqual(tags.trim().split('\n'), ['1.0']);
    await run('umoci', ['stat', '--image', `${dest}:1.0`]);
    const { stdout } = await run('skopeo', ['inspect', `oci:${dest}:1.0`]);
    assert.equal((JSON.parse(stdout) as { Digest: string }).Digest, busybox.manifestDigest);
  });

  it('leaves no blob when the content does not match its descriptor', async () => {
    const dest = join(work, 'refused');
    const target = new OciLayoutTarget(dest);
    const desc: Descriptor = { mediaType: MediaTypes.ociLayer, digest: busybox.layerDigest, size: 10 };
    const failing = new Readable({
      read() {
        this.push(Buffer.from('12345'));
        this.destroy(new Error('digest mismatch'));
      },
    });
    await assert.rejects(target.writeBlob(desc, failing), /digest mismatch/);
    const short = Readable.from([Buffer.from('12345')]);
    assert.equal((await kilnRejection(target.writeBlob(desc, short))).code, 'FAILED_PRECONDITION');
    assert.equal(await target.exists(desc), false);
    assert.deepEqual(await readdir(join(dest, 'blobs', 'sha256')), []);
    assert.deepEqual((await readdir(dest)).sort(), ['blobs', 'index.json', 'oci-layout']);
  });

  it('names the path when a directory is no layout or a blob is missing', async () => {
    const missing = await kilnRejection(OciLayoutSource.open(join(work, 'nowhere')));
    assert.equal(missing.code, 'NOT_FOUND');
    assert.match(missing.message, /nowhere\/oci-layout does not exist/);

    const future = join(work, 'future');
    await new OciLayoutTarget(future).finish(root).catch(() => undefined);
    await writeFile(join(future, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '2.0.0' }));
    const version = await kilnRejection(OciLayoutSource.open(future));
    assert.equal(version.code, 'INVALID_ARGUMENT');
    assert.match(version.message, /future\/oci-layout declares imageLayoutVersion "2\.0\.0"/);
    assert.equal((await kilnRejection(new OciLayoutTarget(future).finish(root))).code, 'INVALID_ARGUMENT');

    const empty = join(work, 'empty');
    await new OciLayoutTarget(empty).finish(root);
    const source = await OciLayoutSource.open(empty);
    const blob = await kilnRejection(source.fetch(root));
    assert.equal(blob.code, 'NOT_FOUND');
    assert.ok(blob.message.includes(join(empty, 'blobs', 'sha256', root.digest.slice(7))), blob.message);
  });
});
