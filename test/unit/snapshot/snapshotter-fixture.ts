// The snapshotter tests' store: a temp root whose content store holds the busybox fixture
// image and a second layer that whites out /etc/group and makes /home opaque. Every mount
// made under the root is undone, and the root removed, by the `after` hook registered here.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after } from 'node:test';
import { gzipSync } from 'node:zlib';
import { digestBytes, LocalContentStore, type Digest } from '../../../src/content/index.js';
import { MediaTypes, type Descriptor } from '../../../src/image/index.js';
import { mountAll, unmountAll, type Mount } from '../../../src/snapshot/index.js';
import { buildBusyboxImage } from '../../helpers/busybox-image.js';
import { writeBlob } from '../../helpers/oci-layout.js';
import { tarBuffer } from './tar-helpers.js';

export interface Store {
  root: string;
  content: LocalContentStore;
  layers: Descriptor[];
  diffIds: Digest[];
}

/** Lines of /proc/self/mountinfo naming `dir` or a mount point under it. */
/** Mounts `mounts` at `<root>/mnt/<name>`, listed in `targets` for the store's after hook. */
export async function mountAt(store: Store, targets: string[], name: string, mounts: Mount[]): Promise<string> {
  const target = join(store.root, 'mnt', name);
  await mkdir(target, { recursive: true });
  targets.push(target);
  await mountAll(mounts, target);
  return target;
}

export async function mountsUnder(dir: string): Promise<string[]> {
  return (await readFile('/proc/self/mountinfo', 'utf8')).split('\n')
    .filter((line) => line.includes(` ${dir}/`) || line.includes(` ${dir} `));
}

export async function secondLayerTar(): Promise<Buffer> {
  return tarBuffer([
    { name: 'etc/', type: 'directory', mode: 0o755 },
    { name: 'etc/.wh.group', content: '' },
    { name: 'etc/motd', content: 'layer two\n', mode: 0o644 },
    { name: 'home/', type: 'directory', mode: 0o755 },
    { name: 'home/.wh..wh..opq', content: '' },
    { name: 'home/new', content: 'replaced\n', mode: 0o644 },
  ]);
}

/** A temp root with the two-layer image in its content store; `mounts` are unmounted after. */
export async function makeStore(mounts: string[]): Promise<Store> {
  const root = await mkdtemp(join(tmpdir(), 'kiln-snap-'));
  after(async () => {
    for (const target of mounts) await unmountAll(target);
    await unmountAll(root);
    assert.deepEqual(await mountsUnder(root), []);
    await rm(root, { recursive: true, force: true });
  });
  const busybox = await buildBusyboxImage(join(root, 'content'));
  const tar = await secondLayerTar();
  const blob = await writeBlob(join(root, 'content'), Readable.from([gzipSync(tar)]));
  return {
    root,
    content: new LocalContentStore(root),
    layers: [
      { mediaType: MediaTypes.ociLayerGzip, digest: busybox.layerDigest, size: await busyboxSize(root, busybox.layerDigest) },
      { mediaType: MediaTypes.ociLayerGzip, digest: blob.digest, size: blob.size },
    ],
    diffIds: [busybox.diffId, digestBytes(tar)],
  };
}

async function busyboxSize(root: string, digest: Digest): Promise<number> {
  const info = await new LocalContentStore(root).info(digest);
  assert.ok(info !== undefined);
  return info.size;
}
