// applyLayer's overlay whiteouts (a layer unpacked alone, to become an overlay lowerdir), and
// mountAll / unmountAll on their own.
import assert from 'node:assert/strict';
import { lstat, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { applyLayer, mountAll, unmountAll } from '../../../src/snapshot/index.js';
import { kilnRejection } from '../../helpers/errors.js';
import { getfattr } from './snapshotter-xattr.js';
import { mountsUnder } from './snapshotter-fixture.js';
import { removeTempDirs, tarOf, tempDir } from './tar-helpers.js';

const targets: string[] = [];
after(async () => {
  for (const target of targets) await unmountAll(target);
  for (const target of targets) assert.deepEqual(await mountsUnder(target), []);
  await removeTempDirs();
});

test('overlay whiteouts are 0/0 character devices; opaque dirs carry trusted.overlay.opaque', async () => {
  const target = await tempDir();
  await applyLayer(target, tarOf([
    { name: 'gone', content: 'written first, whited out later' },
    { name: '.wh.gone', content: '' },
    { name: 'a/b/.wh.lower-only', content: '' },
    { name: 'back', content: '' },
    { name: '.wh.back', content: '' },
    { name: 'back', content: 'recreated\n' },
    { name: 'dir/kept-before', content: 'k' },
    { name: 'dir/.wh..wh..opq', content: '' },
    { name: 'dir/kept-after', content: 'k' },
  ]), { whiteouts: 'overlay' });
  for (const path of ['gone', 'a/b/lower-only']) {
    const stats = await lstat(join(target, path));
    assert.ok(stats.isCharacterDevice(), path);
    assert.equal(stats.rdev, 0);
    assert.equal(stats.mode & 0o7777, 0);
  }
  assert.equal(await readFile(join(target, 'back'), 'utf8'), 'recreated\n');
  assert.equal(await getfattr(join(target, 'dir'), 'trusted.overlay.opaque'), 'y');
  assert.equal(await readFile(join(target, 'dir/kept-before'), 'utf8'), 'k');
  assert.equal(await readFile(join(target, 'dir/kept-after'), 'utf8'), 'k');
});

test('the default still deletes: whiteouts applied to a merged tree', async () => {
  const target = await tempDir();
  await writeFile(join(target, 'gone'), 'lower');
  await mkdir(join(target, 'dir'));
  await writeFile(join(target, 'dir/lower'), 'lower');
  await applyLayer(target, tarOf([{ name: '.wh.gone', content: '' }, { name: 'dir/.wh..wh..opq', content: '' }]));
  await assert.rejects(lstat(join(target, 'gone')), { code: 'ENOENT' });
  await assert.rejects(lstat(join(target, 'dir/lower')), { code: 'ENOENT' });
  assert.equal(await getfattr(join(target, 'dir'), 'trusted.overlay.opaque'), undefined);
});

test('an overlay of two lowers merges them; unmountAll tolerates nothing mounted', async () => {
  const base = await tempDir();
  for (const dir of ['low', 'up', 'work', 'mnt']) await mkdir(join(base, dir));
  await writeFile(join(base, 'low/lower'), 'l');
  await applyLayer(join(base, 'up'), tarOf([{ name: '.wh.lower', content: '' }, { name: 'upper', content: 'u' }]), { whiteouts: 'overlay' });
  const target = join(base, 'mnt');
  targets.push(target);
  await mountAll([{
    type: 'overlay', source: 'overlay',
    options: ['ro', `lowerdir=${join(base, 'up')}:${join(base, 'low')}`],
  }], target);
  assert.equal((await mountsUnder(base)).length, 1);
  await assert.rejects(lstat(join(target, 'lower')), { code: 'ENOENT' });
  assert.equal(await readFile(join(target, 'upper'), 'utf8'), 'u');
  await assert.rejects(writeFile(join(target, 'new'), 'x'), { code: 'EROFS' });
  await unmountAll(target);
  await unmountAll(target);
  assert.deepEqual(await mountsUnder(base), []);
});

test('a failing mount is a KilnError and leaves nothing mounted', async () => {
  const base = await tempDir();
  await mkdir(join(base, 'mnt'));
  const target = join(base, 'mnt');
  targets.push(target);
  const err = await kilnRejection(mountAll([
    { type: 'bind', source: base, options: ['ro', 'rbind'] },
    { type: 'overlay', source: 'overlay', options: [`lowerdir=${join(base, 'missing')}`] },
  ], target));
  assert.equal(err.code, 'INTERNAL');
  assert.match(err.message, /overlay/);
  assert.deepEqual(await mountsUnder(base), []);
});
