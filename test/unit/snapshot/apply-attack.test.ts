// Hostile layers: no entry may create, change or remove anything outside the target.
// The tests run the apply next to sentinels and compare the whole neighbourhood afterwards.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyLayer } from '../../../src/snapshot/index.js';
import { isKilnError } from '../../../src/util/errors.js';
import { describeTree, removeTempDirs, tarOf, tempDir, type TarEntry } from './tar-helpers.js';

after(removeTempDirs);

interface Workspace {
  workspace: string;
  target: string;
  sentinelDir: string;
}

// workspace/{outside, x, sentinel-dir/keep, a/target}: `../..` from the target is the workspace.
async function workspace(): Promise<Workspace> {
  const root = await tempDir();
  const target = join(root, 'a', 'target');
  const sentinelDir = join(root, 'sentinel-dir');
  await mkdir(target, { recursive: true });
  await mkdir(sentinelDir);
  await writeFile(join(sentinelDir, 'keep'), 'sentinel');
  await writeFile(join(root, 'outside'), 'outside');
  await writeFile(join(root, 'x'), 'x');
  return { workspace: root, target, sentinelDir };
}

async function outsideTarget(ws: Workspace): Promise<Record<string, string>> {
  const tree = await describeTree(ws.workspace);
  for (const key of Object.keys(tree)) if (key === 'a/target' || key.startsWith('a/target/')) delete tree[key];
  return tree;
}

async function assertRefused(entries: TarEntry[], entryName: string): Promise<Workspace> {
  const ws = await workspace();
  const before = await outsideTarget(ws);
  await assert.rejects(applyLayer(ws.target, tarOf(entries)), (err) => {
    assert.ok(isKilnError(err), String(err));
    assert.equal(err.code, 'INVALID_ARGUMENT');
    assert.ok(err.message.includes(`"${entryName}"`), err.message);
    return true;
  });
  assert.deepEqual(await outsideTarget(ws), before);
  return ws;
}

test('an entry climbing out with ../ is refused', async () => {
  await assertRefused([{ name: '../x', content: 'pwned' }], '../x');
  await assertRefused([{ name: '../../outside', content: 'pwned' }], '../../outside');
});

test('an entry climbing out through a/../../ is refused', async () => {
  const ws = await assertRefused([{ name: 'a/../../x', content: 'pwned' }], 'a/../../x');
  assert.deepEqual(await describeTree(ws.target), {});
});

test('an absolute entry name is relative to the target', async () => {
  const ws = await workspace();
  const before = await outsideTarget(ws);
  await applyLayer(ws.target, tarOf([{ name: '/etc/passwd', content: 'root' }]));
  assert.equal(await readFile(join(ws.target, 'etc', 'passwd'), 'utf8'), 'root');
  assert.deepEqual(await outsideTarget(ws), before);
});

test('an absolute symlink in a parent resolves inside the target, never to the host path', async () => {
  const ws = await workspace();
  const before = await outsideTarget(ws);
  await applyLayer(ws.target, tarOf([
    { name: 'evil', type: 'symlink', linkname: ws.sentinelDir },
    { name: 'evil/file', content: 'pwned' },
    { name: 'evil/keep', content: 'pwned' },
  ]));
  assert.deepEqual(await outsideTarget(ws), before);
  assert.equal(await readFile(join(ws.target, ws.sentinelDir, 'file'), 'utf8'), 'pwned');
  assert.equal(await readFile(join(ws.target, ws.sentinelDir, 'keep'), 'utf8'), 'pwned');
});

test('writing through a relative symlink that climbs out is refused', async () => {
  await assertRefused([
    { name: 'evil', type: 'symlink', linkname: '../..' },
    { name: 'evil/x', content: 'pwned' },
  ], 'evil/x');
  await assertRefused([
    { name: 'd', type: 'directory' },
    { name: 'd/up', type: 'symlink', linkname: '../../sentinel-dir' },
    { name: 'd/up/keep', content: 'pwned' },
  ], 'd/up/keep');
});

test('a symlink chain that ends outside is refused', async () => {
  await assertRefused([
    { name: 'one', type: 'symlink', linkname: 'two' },
    { name: 'two', type: 'symlink', linkname: '../../sentinel-dir' },
    { name: 'one/keep', content: 'pwned' },
  ], 'one/keep');
});

test('a symlink loop is refused', async () => {
  await assertRefused([
    { name: 'loop', type: 'symlink', linkname: 'loop' },
    { name: 'loop/x', content: 'pwned' },
  ], 'loop/x');
});

test('a hard link to a file outside is refused', async () => {
  await assertRefused([{ name: 'link', type: 'link', linkname: '../../outside' }], 'link');
  await assertRefused([
    { name: 'up', type: 'symlink', linkname: '../..' },
    { name: 'link', type: 'link', linkname: 'up/outside' },
  ], 'link');
});

test('a whiteout naming the parent or outside is refused', async () => {
  await assertRefused([{ name: '.wh...', content: '' }], '.wh...');
  await assertRefused([{ name: 'sub/.wh...', content: '' }], 'sub/.wh...');
  await assertRefused([{ name: '../.wh.x', content: '' }], '../.wh.x');
  await assertRefused([{ name: '../../.wh.outside', content: '' }], '../../.wh.outside');
  await assertRefused([
    { name: 'up', type: 'symlink', linkname: '../..' },
    { name: 'up/.wh.sentinel-dir', content: '' },
  ], 'up/.wh.sentinel-dir');
  await assertRefused([
    { name: 'up', type: 'symlink', linkname: '../../sentinel-dir' },
    { name: 'up/.wh..wh..opq', content: '' },
  ], 'up/.wh..wh..opq');
});

test('a whiteout of a symlink removes the link, not what it points to', async () => {
  const ws = await workspace();
  const before = await outsideTarget(ws);
  await applyLayer(ws.target, tarOf([{ name: 'up', type: 'symlink', linkname: ws.sentinelDir }]));
  await applyLayer(ws.target, tarOf([{ name: '.wh.up', content: '' }]));
  assert.deepEqual(await describeTree(ws.target), {});
  assert.deepEqual(await outsideTarget(ws), before);
});

test('replacing a symlink to outside with a file replaces the link only', async () => {
  const ws = await workspace();
  const before = await outsideTarget(ws);
  await applyLayer(ws.target, tarOf([
    { name: 'f', type: 'symlink', linkname: join(ws.workspace, 'outside') },
    { name: 'f', content: 'mine' },
  ]));
  assert.equal(await readFile(join(ws.target, 'f'), 'utf8'), 'mine');
  assert.deepEqual(await outsideTarget(ws), before);
});
