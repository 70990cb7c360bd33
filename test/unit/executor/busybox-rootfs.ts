// A busybox rootfs for executor tests: the fixture image's one layer applied to a temp dir
// (no overlay needed: each test file gets its own copy and only the tests write to it). The
// caller owns `dir` and removes it.
import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { applyLayer } from '../../../src/snapshot/index.js';
import { buildBusyboxImage } from '../../helpers/busybox-image.js';

export async function busyboxRootfs(dir: string): Promise<string> {
  const layout = join(dir, 'layout');
  const rootfs = join(dir, 'rootfs');
  await mkdir(layout);
  await mkdir(rootfs);
  const image = await buildBusyboxImage(layout);
  const hex = image.layerDigest.slice('sha256:'.length);
  await applyLayer(rootfs, createReadStream(join(layout, 'blobs', 'sha256', hex)));
  return rootfs;
}
