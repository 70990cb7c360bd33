import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, readFile, readlink, stat, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { applyLayer } from '../../../src/snapshot/index.js';
import { isKilnError } from '../../../src/util/errors.js';
import { describeTree, removeTempDirs, tarBuffer, tarOf, tempDir } from './tar-helpers.js';

after(removeTempDirs);

const mtime = new Date('2020-01-02T03:04:05Z');

test('files, directories, symlinks, hard links, modes, owners and mtimes are applied', async () => {
  const target = await tempDir();
  const result = await applyLayer(target, tarOf([
    { name: './', type: 'directory', mode: 0o711 },
    { name: 'bin/', type: 'directory', mode: 0o755, mtime },
    { name: 'bin/tool', content: '#!/bin/sh\n', mode: 0o4755, mtime, uid: 1234, gid: 5678 },
    { name: 'bin/alias', type: 'symlink', linkname: 'tool', mtime },
    { name: 'bin/hard', type: 'link', linkname: 'bin/tool' },
    { name: 'tmp', type: 'directory', mode: 0o1777, mtime },
    { name: 'tmp/pipe', type: 'fifo', mode: 0o600 },
    { name: 'deep/er/file', content: 'x', mode: 0o2640 },
  ]), { chown: true });

  assert.deepEqual(result, { entries: 7, bytes: 11, xattrs: 0, skippedXattrs: 0, xattrWarnings: [] });
  const tool = await stat(join(target, 'bin/tool'));
  assert.equal(tool.mode & 0o7777, 0o4755);
  assert.equal(tool.uid, 1234);
  assert.equal(tool.gid, 5678);
  assert.equal(tool.mtimeMs, mtime.getTime());
  assert.equal(tool.nlink, 2);
  assert.equal((await stat(join(target, 'bin/hard'))).ino, tool.ino);
  assert.equal(await readlink(join(target, 'bin/alias')), 'tool');
  assert.equal((await lstat(join(target, 'bin/alias'))).mtimeMs, mtime.getTime());
  // Written after bin/ and tmp/ got their children, yet their times are the layer's.
  assert.equal((await stat(join(target, 'bin'))).mtimeMs, mtime.getTime());
  const tmp = await stat(join(target, 'tmp'));
  assert.equal(tmp.mode & 0o7777, 0o1777);
  assert.equal(tmp.mtimeMs, mtime.getTime());
  assert.ok((await lstat(join(target, 'tmp/pipe'))).isFIFO());
  assert.equal((await stat(join(target, 'deep/er/file'))).mode & 0o7777, 0o2640);
  assert.equal((await stat(join(target, 'deep'))).mode & 0o777, 0o755);
  // The root entry is the snapshot's, not the layer's: mkdtemp's 0700 stays.
  assert.equal((await stat(target)).mode & 0o777, 0o700);
});

test('without chown files belong to the applying user', async () => {
  const target = await tempDir();
  await applyLayer(target, tarOf([{ name: 'f', content: 'x', uid: 1234, gid: 5678 }]), { chown: false });
  assert.equal((await stat(join(target, 'f'))).uid, process.getuid?.());
});

test('character devices are created when running as root', { skip: process.getuid?.() !== 0 }, async () => {
  const target = await tempDir();
  await applyLayer(target, tarOf([{ name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 }]));
  const node = await lstat(join(target, 'dev/null'));
  assert.ok(node.isCharacterDevice());
  assert.equal(node.rdev, (1 << 8) | 3);
});

test('a whiteout removes a file and a directory tree of the lower layer', async () => {
  const target = await tempDir();
  await applyLayer(target, tarOf([
    { name: 'etc/keep', content: 'k' },
    { name: 'etc/gone', content: 'g' },
    { name: 'var/cache/a/b', content: 'b' },
  ]));
  const result = await applyLayer(target, tarOf([
    { name: 'etc/.wh.gone', content: '' },
    { name: 'var/.wh.cache', content: '' },
    { name: 'var/.wh.never-existed', content: '' },
  ]));
  assert.equal(result.bytes, 0);
  assert.deepEqual(Object.keys(await describeTree(target)), ['etc', 'etc/keep', 'var']);
});

test('an opaque directory hides lower content but keeps what this layer wrote, before or after the marker', async () => {
  const target = await tempDir();
  await applyLayer(target, tarOf([
    { name: 'd/old', content: 'old' },
    { name: 'd/sub/old', content: 'old' },
    { name: 'd/sub/also', content: 'old' },
    { name: 'other/stays', content: 'lower' },
  ]));
  await applyLayer(target, tarOf([
    { name: 'd/', type: 'directory' },
    { name: 'd/new', content: 'new' },
    { name: 'd/sub/also', content: 'new' },
    { name: 'd/.wh..wh..opq', content: '' },
    { name: 'd/later', content: 'later' },
  ]));
  assert.deepEqual(Object.keys(await describeTree(target)), [
    'd', 'd/later', 'd/new', 'd/sub', 'd/sub/also', 'other', 'other/stays',
  ]);
  assert.equal(await readFile(join(target, 'd/sub/also'), 'utf8'), 'new');
});

test('an entry of another type replaces what is there', async () => {
  const target = await tempDir();
  await mkdir(join(target, 'was-dir/child'), { recursive: true });
  await writeFile(join(target, 'was-dir/child/f'), 'x');
  await writeFile(join(target, 'was-file'), 'x');
  await writeFile(join(target, 'was-file-2'), 'x');
  await mkdir(join(target, 'stays-dir'));
  await writeFile(join(target, 'stays-dir/lower'), 'lower');
  await applyLayer(target, tarOf([
    { name: 'was-dir', content: 'now a file' },
    { name: 'was-file/', type: 'directory' },
    { name: 'was-file/inside', content: 'in' },
    { name: 'was-file-2', type: 'symlink', linkname: 'was-dir' },
    { name: 'stays-dir', type: 'directory', mode: 0o750 },
  ]));
  assert.equal(await readFile(join(target, 'was-dir'), 'utf8'), 'now a file');
  assert.equal(await readFile(join(target, 'was-file/inside'), 'utf8'), 'in');
  assert.equal(await readlink(join(target, 'was-file-2')), 'was-dir');
  // A directory over a directory is merged, not replaced.
  assert.equal(await readFile(join(target, 'stays-dir/lower'), 'utf8'), 'lower');
  assert.equal((await stat(join(target, 'stays-dir'))).mode & 0o777, 0o750);
});

test('a gzip-compressed layer is recognised and applied', async () => {
  const target = await tempDir();
  const gz = gzipSync(await tarBuffer([{ name: 'hello', content: 'world' }]));
  await applyLayer(target, Readable.from([gz.subarray(0, 1), gz.subarray(1)]));
  assert.equal(await readFile(join(target, 'hello'), 'utf8'), 'world');
});

test('a truncated tar gives a clear error', async () => {
  const whole = await tarBuffer([{ name: 'big', content: Buffer.alloc(10_000, 7) }, { name: 'next', content: 'n' }]);
  for (const cut of [5_000, 512 + 10_240 + 100, whole.length - 1536 - 512 - 10]) {
    const target = await tempDir();
    await assert.rejects(applyLayer(target, Readable.from([whole.subarray(0, cut)])), (err) => {
      assert.ok(isKilnError(err), String(err));
      assert.equal(err.code, 'INVALID_ARGUMENT');
      assert.match(err.message, /layer tar is truncated or corrupt/);
      return true;
    });
  }
});

test('a hard link to an entry that is not there is refused', async () => {
  const target = await tempDir();
  await assert.rejects(applyLayer(target, tarOf([{ name: 'l', type: 'link', linkname: 'missing' }])),
    (err) => isKilnError(err) && err.code === 'INVALID_ARGUMENT' && err.message.includes('"l"'));
});

test('an aborted apply stops with CANCELED', async () => {
  const target = await tempDir();
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(applyLayer(target, tarOf([{ name: 'f', content: 'x' }]), { signal: controller.signal }),
    (err) => isKilnError(err) && err.code === 'CANCELED');
});
