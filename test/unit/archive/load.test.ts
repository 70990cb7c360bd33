import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { loadArchive } from '../../../src/archive/load.js';
import { digestBytes, digestHex, LocalContentStore, type ContentStore } from '../../../src/content/index.js';
import { MediaTypes, parseManifest } from '../../../src/image/index.js';
import { isKilnError, type KilnError } from '../../../src/util/errors.js';
import { addSiblingImage, rootOf, saveArchive } from '../../helpers/archive-fixtures.js';
import { buildBusyboxImage } from '../../helpers/busybox-image.js';
import { blobPath } from '../../helpers/oci-layout.js';
import { makeTar, readTar, type TarFile } from '../../helpers/tar-files.js';
import { tempDir } from '../../helpers/tmp.js';

const work = await tempDir('archive-load');
const busybox = await buildBusyboxImage(join(work, 'layout'));
const root = rootOf(busybox);
const sibling = await addSiblingImage(busybox);
const dockerTar = await saveArchive(busybox.layoutDir, [{ root, names: ['busybox:latest', 'example.com/bb:1'] }]);
let stores = 0;

async function freshStore(): Promise<{ store: LocalContentStore; dir: string }> {
  const dir = join(work, `store-${stores++}`);
  return { store: new LocalContentStore(dir), dir };
}

async function storedDigests(store: ContentStore): Promise<string[]> {
  const digests: string[] = [];
  await store.walk((info) => {
    digests.push(info.digest);
  });
  return digests.sort();
}

async function loadError(tar: Buffer, store: ContentStore): Promise<KilnError> {
  const err = await loadArchive(Readable.from([tar]), store).then(() => assert.fail('expected a rejection'), (e: unknown) => e);
  assert.ok(isKilnError(err), `expected a KilnError, got ${String(err)}`);
  return err;
}

/** The bytes of every blob in the store hash to its name, and no ingest is left behind. */
async function assertClean(dir: string, store: ContentStore): Promise<void> {
  for (const digest of await storedDigests(store)) {
    assert.equal(digestBytes(await readFile(join(dir, 'content', 'blobs', 'sha256', digest.slice(7)))), digest);
  }
  assert.deepEqual(await readdir(join(dir, 'content', 'ingest')).catch(() => []), []);
}

describe('loadArchive', () => {
  it('loads a docker-archive written by DockerArchiveTarget with the same digest and names', async () => {
    const { store, dir } = await freshStore();
    const loaded = await loadArchive(Readable.from([dockerTar]), store);
    assert.deepEqual(loaded, [{ names: ['docker.io/library/busybox:latest', 'example.com/bb:1'], target: root }]);
    assert.deepEqual(await storedDigests(store), [busybox.manifestDigest, busybox.configDigest, busybox.layerDigest].sort());
    await assertClean(dir, store);
  });

  it('accepts the archive gzip-compressed, and fed in tiny chunks', async () => {
    const { store } = await freshStore();
    const gz = gzipSync(dockerTar);
    const chunks = Array.from({ length: Math.ceil(gz.byteLength / 997) }, (_, i) => gz.subarray(i * 997, (i + 1) * 997));
    const loaded = await loadArchive(Readable.from(chunks), store);
    assert.equal(loaded[0]?.target.digest, busybox.manifestDigest);
  });

  it('loads a plain OCI layout tar: full names from io.containerd.image.name, bare tags are no names', async () => {
    const { store } = await freshStore();
    const oci = await saveArchive(busybox.layoutDir, [{ root, names: ['app:2'] }, { root: sibling, names: [] }], 'oci');
    assert.deepEqual(await loadArchive(Readable.from([oci]), store), [
      { names: ['docker.io/library/app:2'], target: root },
      { names: [], target: sibling },
    ]);
    const { stdout } = await promisify(execFile)('tar', ['-C', busybox.layoutDir, '-cf', '-', '.'], { encoding: 'buffer', maxBuffer: 64 << 20 });
    const other = await freshStore();
    const platform = busybox.index.manifests[0]?.platform;
    assert.deepEqual(await loadArchive(Readable.from([stdout]), other.store), [{ names: [], target: { ...root, platform } }]);
  });

  it('loads a legacy docker save tar, following layer.tar symlinks, into synthesised schema2 manifests', async () => {
    const { store, dir } = await freshStore();
    const layer = gunzipSync(await readFile(blobPath(busybox.layoutDir, busybox.layerDigest)));
    const config = await readFile(blobPath(busybox.layoutDir, busybox.configDigest));
    const config2 = Buffer.from(JSON.stringify({ ...JSON.parse(config.toString()), config: { Cmd: ['true'] } }));
    const [id1, id2] = ['a'.repeat(64), 'b'.repeat(64)];
    const hex1 = digestHex(busybox.configDigest);
    const hex2 = digestHex(digestBytes(config2));
    const files: TarFile[] = [
      { name: `${id1}/`, type: 'directory' },
      { name: `${id1}/VERSION`, data: '1.0' },
      { name: `${id1}/json`, data: '{}' },
      { name: `${id1}/layer.tar`, data: layer },
      { name: `${id2}/`, type: 'directory' },
      { name: `${id2}/layer.tar`, type: 'symlink', linkname: `../${id1}/layer.tar` },
      { name: `${hex1}.json`, data: config },
      { name: `${hex2}.json`, data: config2 },
      { name: 'manifest.json', data: JSON.stringify([
        { Config: `${hex1}.json`, RepoTags: ['busybox:old'], Layers: [`${id1}/layer.tar`] },
        { Config: `${hex2}.json`, RepoTags: null, Layers: [`${id2}/layer.tar`] },
      ]) },
      { name: 'repositories', data: JSON.stringify({ busybox: { old: id1 } }) },
    ];
    const loaded = await loadArchive(Readable.from([await makeTar(files)]), store);
    assert.deepEqual(loaded.map((i) => [i.names, i.target.mediaType]), [
      [['docker.io/library/busybox:old'], MediaTypes.dockerManifest],
      [[], MediaTypes.dockerManifest],
    ]);
    const target = loaded[0]?.target;
    assert.ok(target !== undefined);
    const manifest = parseManifest(await readFile(join(dir, 'content', 'blobs', 'sha256', digestHex(target.digest))));
    assert.deepEqual(manifest.config, { mediaType: MediaTypes.dockerConfig, digest: busybox.configDigest, size: config.byteLength });
    assert.deepEqual(manifest.layers, [{ mediaType: MediaTypes.dockerLayer, digest: busybox.diffId, size: layer.byteLength }]);
    // The VERSION and json files of the layer directories are not blobs of the image.
    assert.equal((await storedDigests(store)).length, 5);
    await assertClean(dir, store);
  });

  it('refuses a blob whose bytes do not match its name and keeps nothing of it', async () => {
    const { store, dir } = await freshStore();
    const entries = await readTar(dockerTar);
    const layerName = `blobs/sha256/${digestHex(busybox.layerDigest)}`;
    const files = entries.map((e): TarFile => {
      if (e.header.type === 'directory') return { name: e.header.name, type: 'directory' };
      if (e.header.name !== layerName) return { name: e.header.name, data: e.data };
      const tampered = Buffer.from(e.data);
      const last = tampered.byteLength - 1;
      tampered.writeUInt8(tampered.readUInt8(last) ^ 0xff, last);
      return { name: e.header.name, data: tampered };
    });
    const err = await loadError(await makeTar(files), store);
    assert.equal(err.code, 'INVALID_ARGUMENT');
    assert.match(err.message, new RegExp(`archive entry ${layerName} does not hold the content`));
    assert.equal(await store.info(busybox.layerDigest), undefined);
    await assertClean(dir, store);
  });

  it('reports a manifest whose layer is not in the archive by the missing entry', async () => {
    const { store } = await freshStore();
    const layerName = `blobs/sha256/${digestHex(busybox.layerDigest)}`;
    const files = (await readTar(dockerTar))
      .filter((e) => e.header.name !== layerName && e.header.name !== 'manifest.json')
      .map((e): TarFile => (e.header.type === 'directory' ? { name: e.header.name, type: 'directory' } : { name: e.header.name, data: e.data }));
    const err = await loadError(await makeTar(files), store);
    assert.equal(err.code, 'NOT_FOUND');
    assert.ok(err.message.includes(`has no entry ${layerName}`), err.message);
  });

  it('reports a truncated archive clearly and leaves no partial blob', async () => {
    const { store, dir } = await freshStore();
    const layerStart = dockerTar.indexOf(await readFile(blobPath(busybox.layoutDir, busybox.layerDigest)));
    assert.ok(layerStart > 0);
    const err = await loadError(dockerTar.subarray(0, layerStart + 1000), store);
    assert.equal(err.code, 'INVALID_ARGUMENT');
    assert.match(err.message, /^cannot read the image archive: /);
    assert.match(err.hint ?? '', /truncated/);
    assert.equal(await store.info(busybox.layerDigest), undefined);
    await assertClean(dir, store);

    const gzErr = await loadError(gzipSync(dockerTar).subarray(0, 5000), store);
    assert.match(gzErr.message, /^cannot read the image archive \(gzip\): /);
  });

  it('refuses input that is no image archive', async () => {
    const { store } = await freshStore();
    assert.match((await loadError(Buffer.alloc(0), store)).message, /has neither index.json nor manifest.json/);
    assert.match((await loadError(Buffer.from('hello, not a tar'.repeat(64)), store)).message, /^cannot read the image archive/);
  });
});
