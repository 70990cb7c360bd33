// Header fields tar-stream's pack cannot write: a mode of 0, ids past ustar's 7 octal digits,
// non-ASCII and long names and link targets, binary attribute values. Each entry is applied
// with the snapshot code that unpacks layers, and read back from the files it made.
import assert from 'node:assert/strict';
import { lstat, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { encodeHeader, contentPadding, endOfArchive } from '../../../src/exporter/tar-header.js';
import { applyLayer } from '../../../src/snapshot/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { getfattr } from '../snapshot/snapshotter-xattr.js';

const target = await tempDir('exporter-tar-header');
const longTarget = `${'t'.repeat(120)}/ünïcode`;

test('PAX records carry what ustar fields cannot; a mode of 0 stays 0', async () => {
  const body = Buffer.from('zero\n');
  const tar = Buffer.concat([
    encodeHeader({ name: 'zero-mode', type: 'file', mode: 0, uid: 3_000_000, gid: 4_000_000, size: body.length, mtime: 1_600_000_000 }),
    body, contentPadding(body.length),
    encodeHeader({ name: 'ünïcode-link', type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, mtime: 0, linkname: longTarget }),
    encodeHeader({
      name: 'attrs', type: 'directory', mode: 0o750, uid: 0, gid: 0, size: 0, mtime: 0,
      xattrs: [['user.binary', Buffer.from([0xff, 0x00, 0xfe])], ['user.text', Buffer.from('v')]],
    }),
    endOfArchive,
  ]);
  await applyLayer(target, Readable.from([tar]));
  const zero = await lstat(join(target, 'zero-mode'));
  assert.equal(zero.mode & 0o7777, 0);
  assert.deepEqual([zero.uid, zero.gid], [3_000_000, 4_000_000]);
  assert.equal(zero.mtime.getTime(), 1_600_000_000_000);
  assert.equal(await readFile(join(target, 'zero-mode'), 'utf8'), 'zero\n');
  assert.equal(await readlink(join(target, 'ünïcode-link')), longTarget);
  assert.equal(await getfattr(join(target, 'attrs'), 'user.text'), 'v');
  assert.equal((await lstat(join(target, 'attrs'))).mode & 0o7777, 0o750);
});
