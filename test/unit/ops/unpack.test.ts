// ADD's archive detection and extraction: plain and gzip tars are recognised by content (not by
// name), bzip2/xz archives are refused by name, and --chown applies to every extracted entry.
import assert from 'node:assert/strict';
import { lstat, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isArchive, isTarHeader, unpackArchive } from '../../../src/ops/unpack.js';
import { makeTar } from '../../helpers/tar-files.js';
import { tempDir } from '../../helpers/tmp.js';

const files = [
  { name: 'app/', type: 'directory' as const },
  { name: 'app/run.sh', data: 'echo run\n' },
  { name: 'app/link', type: 'symlink' as const, linkname: 'run.sh' },
];

test('a tar is recognised by its header checksum, plain or gzipped, whatever its name', async () => {
  const dir = await tempDir('unpack-detect');
  const tar = await makeTar(files);
  assert.equal(isTarHeader(tar.subarray(0, 512)), true);
  const corrupt = Buffer.from(tar.subarray(0, 512));
  corrupt[0] = (corrupt[0] as number) ^ 1;
  assert.equal(isTarHeader(corrupt), false);
  await writeFile(join(dir, 'plain.bin'), tar);
  await writeFile(join(dir, 'packed.tgz'), gzipSync(tar));
  await writeFile(join(dir, 'notes.tar'), 'only looks like a tar by name\n');
  await writeFile(join(dir, 'text.gz'), gzipSync('not a tar inside\n'.repeat(100)));
  await writeFile(join(dir, 'empty.tar'), Buffer.alloc(1024));
  assert.equal(await isArchive(join(dir, 'plain.bin'), 'plain.bin'), true);
  assert.equal(await isArchive(join(dir, 'packed.tgz'), 'packed.tgz'), true);
  assert.equal(await isArchive(join(dir, 'notes.tar'), 'notes.tar'), false);
  assert.equal(await isArchive(join(dir, 'text.gz'), 'text.gz'), false);
  assert.equal(await isArchive(join(dir, 'empty.tar'), 'empty.tar'), false, 'docker copies a tar with no entries');
});

test('bzip2 and xz files are refused with the format named', async () => {
  const dir = await tempDir('unpack-refuse');
  await writeFile(join(dir, 'a.tar.bz2'), Buffer.from('BZh91AY&SY'));
  await writeFile(join(dir, 'a.tar.xz'), Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0]));
  await assert.rejects(isArchive(join(dir, 'a.tar.bz2'), '/a.tar.bz2'), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'NOT_IMPLEMENTED');
    assert.match(err.message, /ADD \/a\.tar\.bz2: the file is bzip2-compressed/);
    return true;
  });
  await assert.rejects(isArchive(join(dir, 'a.tar.xz'), '/a.tar.xz'), /xz-compressed/);
});

test('extracts into the destination, keeping the tar\'s owners or giving every entry --chown\'s', { skip: process.getuid?.() === 0 ? false : 'needs root to chown' }, async () => {
  const dir = await tempDir('unpack-extract');
  await writeFile(join(dir, 'app.tgz'), gzipSync(await makeTar(files)));
  const dest = join(dir, 'root', 'opt');
  await unpackArchive(join(dir, 'app.tgz'), dest, undefined, join(dir, 'staging-1'));
  assert.equal(await readFile(join(dest, 'app', 'run.sh'), 'utf8'), 'echo run\n');
  assert.equal((await lstat(join(dest, 'app', 'link'))).isSymbolicLink(), true);

  const owned = join(dir, 'root', 'srv');
  await mkdir(owned, { recursive: true });
  await writeFile(join(owned, 'kept.txt'), 'already here\n');
  await unpackArchive(join(dir, 'app.tgz'), owned, { uid: 1234, gid: 5678 }, join(dir, 'staging-2'));
  for (const path of ['app', 'app/run.sh', 'app/link']) {
    const stats = await lstat(join(owned, path));
    assert.deepEqual([path, stats.uid, stats.gid], [path, 1234, 5678]);
  }
  assert.equal(await readFile(join(owned, 'kept.txt'), 'utf8'), 'already here\n', 'extraction adds to the directory');
  assert.equal((await lstat(join(owned, 'kept.txt'))).uid, process.getuid?.());
});
