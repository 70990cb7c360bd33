// Reading a merged tree from its layer dirs, as overlayfs would show it: whiteouts and files on
// the way hide what is below, a directory on the way that lacks the rest may be opaque
// (unknown), and a subtree is read in place only when one layer holds all of it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { LayerLookup } from '../../../src/snapshot/index.js';
import { tempDir } from '../../helpers/tmp.js';

const run = promisify(execFile);
const root = await tempDir('layer-lookup');
const [top, mid, bottom] = ['top', 'mid', 'bottom'].map((name) => join(root, name)) as [string, string, string];

async function file(layer: string, path: string): Promise<void> {
  await mkdir(dirname(join(layer, path)), { recursive: true });
  await writeFile(join(layer, path), path);
}

for (const layer of [top, mid, bottom]) await mkdir(layer);
await file(top, 'new/f');
await file(top, 'a/b/g');
await run('mknod', [join(mid, 'x'), 'c', '0', '0']);
await file(mid, 'd');
await mkdir(join(mid, 'p/q'), { recursive: true });
for (const path of ['a/b/file', 'd/e', 'x', 'w/z', 'p/q/r']) await file(bottom, path);
await symlink('/etc', join(bottom, 's'));
const lookup = new LayerLookup([top, mid, bottom]);

async function layerOf(path: string): Promise<number | string> {
  const found = await lookup.lookup(path);
  return typeof found === 'string' ? found : found.layer;
}

test('a path resolves in the first layer holding all of it, as overlayfs shows it', async () => {
  assert.equal(await layerOf('a/b'), 0);
  assert.equal(await layerOf('w/z'), 2);
  assert.equal(await layerOf('s'), 2);
  assert.equal(await layerOf('nothing'), 'absent');
});

test('a whiteout or a file on the way hides what the layers below hold', async () => {
  assert.equal(await layerOf('x'), 'absent');
  assert.equal(await layerOf('d/e'), 'absent');
  const d = await lookup.lookup('d');
  assert.ok(typeof d !== 'string' && d.stats.isFile());
});

test('a directory on the way without the rest of the path may be opaque: unknown', async () => {
  assert.equal(await layerOf('p/q/r'), 'unknown');
});

test('a subtree is read in place only from a layer that holds all of it, and never through a link', async () => {
  // Where overlayfs may write redirects or metacopy files, no layer is read in place.
  const usable = LayerLookup.usable();
  assert.equal(await lookup.soleLayer('new'), usable ? top : undefined);
  assert.equal(await lookup.soleLayer('w'), usable ? bottom : undefined);
  assert.equal(await lookup.soleLayer('new/f'), usable ? top : undefined);
  // `a` is in the bottom layer too: a merged directory.
  assert.equal(await lookup.soleLayer('a/b'), undefined);
  assert.equal(await lookup.soleLayer('s'), undefined);
  assert.equal(await lookup.soleLayer('x'), undefined);
});
