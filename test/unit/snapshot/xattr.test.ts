// Extended attributes from PAX records are set on the real filesystem and read back with
// getfattr; none may ever land outside the target, whatever symlinks the layer plants.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { applyLayer } from '../../../src/snapshot/index.js';
import { captureXattrs } from '../../../src/snapshot/pax-xattr.js';
import { applyXattrs, LayerXattrs } from '../../../src/snapshot/xattr.js';
import { isKilnError } from '../../../src/util/errors.js';
import { kilnRejection } from '../../helpers/errors.js';
import { tarBuffer, type TarEntry } from './tar-helpers.js';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;

/** cap_net_raw+ep, as `setcap cap_net_raw+ep /bin/ping` stores it (VFS_CAP_REVISION_2). */
const capNetRaw = Buffer.from('0100000200200000000000000000000000000000', 'hex');
/** user::rw- user:1000:r-- group::r-- mask::r-- other::r--, in the kernel's xattr form. */
const posixAcl = Buffer.from(
  '02000000' + '01000600ffffffff' + '02000400e8030000' + '04000400ffffffff' + '10000400ffffffff' + '20000400ffffffff',
  'hex',
);
/** NUL, bytes above 0x7f, LF and `=`: everything a UTF-8 or line-based reading would damage. */
const binary = Buffer.from([0x00, 0xff, 0x80, 0x0a, 0x3d, 0xc3, 0x28, 0x00]);

// A directory on a filesystem with user.* xattrs: the temp dir if it has them, else a tmpfs.
let base = '';
let mounted = false;

async function supportsUserXattrs(dir: string): Promise<boolean> {
  return run('setfattr', ['-n', 'user.kiln-probe', '-v', '1', dir]).then(() => true, () => false);
}

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'kiln-xattr-'));
  if (await supportsUserXattrs(base)) return;
  assert.ok(isRoot, `${tmpdir()} has no user.* xattrs and mounting a tmpfs needs root`);
  await run('mount', ['-t', 'tmpfs', 'kiln-xattr', base]);
  mounted = true;
  assert.ok(await supportsUserXattrs(base), 'neither the temp dir nor a tmpfs supports user.* xattrs');
});

after(async () => {
  if (mounted) await run('umount', [base]);
  await rm(base, { recursive: true, force: true });
});

let counter = 0;
async function workDir(): Promise<string> {
  counter += 1;
  const dir = join(base, `w${counter}`);
  await mkdir(dir);
  return dir;
}

type XattrEntry = TarEntry & { xattrs?: Record<string, Buffer>; libarchive?: Record<string, Buffer> };

/**
 * A layer tar written by tar-stream with the xattrs as PAX records. tar-stream can only write
 * PAX values as UTF-8 text, so each value goes in as a same-length ASCII placeholder and its
 * raw bytes are patched over it afterwards, where GNU tar or Go would have put them.
 */
async function layer(entries: XattrEntry[]): Promise<Readable> {
  const patches: Array<{ key: string; value: Buffer }> = [];
  const plain: TarEntry[] = entries.map(({ xattrs = {}, libarchive = {}, ...entry }) => {
    const pax: Record<string, string> = {};
    for (const [name, value] of Object.entries(xattrs)) {
      const key = `SCHILY.xattr.${name}`;
      pax[key] = 'Q'.repeat(value.length);
      patches.push({ key, value });
    }
    for (const [name, value] of Object.entries(libarchive)) pax[`LIBARCHIVE.xattr.${name}`] = value.toString('base64');
    return Object.keys(pax).length === 0 ? entry : { ...entry, pax };
  });
  const tar = await tarBuffer(plain);
  let cursor = 0;
  for (const { key, value } of patches) {
    const marker = Buffer.from(`${key}=`);
    const at = tar.indexOf(marker, cursor);
    assert.ok(at >= 0, `PAX record ${key} not found`);
    value.copy(tar, at + marker.length);
    cursor = at + marker.length + value.length;
  }
  return Readable.from([tar]);
}

/** Every attribute of `path` itself (not following a symlink), values as hex. */
async function xattrsOf(path: string): Promise<Record<string, string>> {
  const { stdout } = await run('getfattr', ['-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', path]);
  const found: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const match = /^([^#=][^=]*)=0x([0-9a-f]*)$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) found[match[1]] = match[2];
  }
  return found;
}

const hex = (value: string | Buffer): string => Buffer.from(value).toString('hex');

test('text, binary, capability and ACL attributes land byte for byte on files, directories and odd names', async () => {
  const target = await workDir();
  const odd = 'odd name\nwith \\ and é';
  const result = await applyLayer(target, await layer([
    { name: 'bin/', type: 'directory', mode: 0o755, xattrs: { 'user.dir': Buffer.from('on a directory') } },
    {
      name: 'bin/ping', content: 'ELF', mode: 0o755,
      xattrs: { 'user.test': Buffer.from('hello'), 'security.capability': capNetRaw, 'user.bin': binary },
    },
    { name: 'acl', content: 'x', mode: 0o644, xattrs: { 'system.posix_acl_access': posixAcl } },
    { name: odd, content: 'o', xattrs: { 'user.odd': Buffer.from('name') } },
  ]));

  assert.deepEqual(await xattrsOf(join(target, 'bin')), { 'user.dir': hex('on a directory') });
  const ping = await xattrsOf(join(target, 'bin/ping'));
  assert.equal(ping['user.test'], hex('hello'));
  assert.equal(ping['user.bin'], hex(binary));
  if (isRoot) assert.equal(ping['security.capability'], hex(capNetRaw));
  assert.deepEqual(await xattrsOf(join(target, 'acl')), { 'system.posix_acl_access': hex(posixAcl) });
  // An access ACL's mask is the group bits of the mode.
  assert.equal((await stat(join(target, 'acl'))).mode & 0o777, 0o644);
  assert.deepEqual(await xattrsOf(join(target, odd)), { 'user.odd': hex('name') });
  assert.equal(result.xattrs + result.skippedXattrs, 6);
  assert.equal(result.skippedXattrs, isRoot ? 0 : 1);
});

test("bsdtar's LIBARCHIVE.xattr form is decoded: percent-encoded name, base64 value", async () => {
  const target = await workDir();
  const result = await applyLayer(target, await layer([
    { name: 'f', content: 'x', libarchive: { 'user.lib%2Dform': binary } },
    // bsdtar writes both spellings of one attribute; it is set once.
    { name: 'g', content: 'x', xattrs: { 'user.both': Buffer.from('v') }, libarchive: { 'user.both': Buffer.from('v') } },
  ]));
  assert.deepEqual(await xattrsOf(join(target, 'f')), { 'user.lib-form': hex(binary) });
  assert.deepEqual(await xattrsOf(join(target, 'g')), { 'user.both': hex('v') });
  assert.equal(result.xattrs, 2);
});

test('an attribute the filesystem refuses is skipped and reported, not fatal', async () => {
  const target = await workDir();
  // user.* exists only on regular files and directories: the kernel answers EPERM for a fifo.
  const result = await applyLayer(target, await layer([
    { name: 'pipe', type: 'fifo', xattrs: { 'user.no': Buffer.from('1') } },
    { name: 'f', content: 'x', xattrs: { 'user.yes': Buffer.from('1') } },
  ]));
  assert.equal(result.xattrs, 1);
  assert.equal(result.skippedXattrs, 1);
  assert.deepEqual(result.xattrWarnings, ['pipe: user.no: Operation not permitted']);
  assert.ok((await lstat(join(target, 'pipe'))).isFIFO());
  assert.deepEqual(await xattrsOf(join(target, 'f')), { 'user.yes': hex('1') });
});

test('any other setxattr failure is an error naming the entry', async () => {
  const target = await workDir();
  // Above XATTR_SIZE_MAX (64 KiB): E2BIG on every filesystem.
  const err = await kilnRejection(applyLayer(target, await layer([
    { name: 'big', content: 'x', xattrs: { 'user.big': Buffer.alloc(70_000, 1) } },
  ])));
  assert.equal(err.code, 'INTERNAL');
  assert.match(err.message, /user\.big on layer entry "big" failed: Argument list too long/);
});

test('without setfattr the attributes are reported skipped, with the reason', async () => {
  const target = await workDir();
  const tar = await layer([{ name: 'f', content: 'x', xattrs: { 'user.a': Buffer.from('1'), 'user.b': Buffer.from('2') } }]);
  const path = process.env.PATH;
  process.env.PATH = join(target, 'no-such-dir');
  let result;
  try {
    result = await applyLayer(target, tar);
  } finally {
    process.env.PATH = path;
  }
  assert.equal(result.xattrs, 0);
  assert.equal(result.skippedXattrs, 2);
  assert.match(result.xattrWarnings[0] ?? '', /setfattr is not installed \(Debian package attr\)/);
  assert.deepEqual(await xattrsOf(join(target, 'f')), {});
});

interface Workspace {
  target: string;
  sentinelDir: string;
  outside: string;
}

// ws/{outside, sentinel-dir/keep, a/target}, like apply-attack.test.ts.
async function workspace(): Promise<Workspace> {
  const root = await workDir();
  const ws = { target: join(root, 'a', 'target'), sentinelDir: join(root, 'sentinel-dir'), outside: join(root, 'outside') };
  await mkdir(ws.target, { recursive: true });
  await mkdir(ws.sentinelDir);
  await writeFile(join(ws.sentinelDir, 'keep'), 'sentinel');
  await writeFile(ws.outside, 'outside');
  return ws;
}

async function assertOutsideUntouched(ws: Workspace): Promise<void> {
  for (const path of [ws.sentinelDir, join(ws.sentinelDir, 'keep'), ws.outside]) {
    assert.deepEqual(await xattrsOf(path), {}, path);
  }
}

test('attributes never follow a symlink planted later in the layer, in a parent or as the entry itself', async () => {
  const ws = await workspace();
  const result = await applyLayer(ws.target, await layer([
    // The directory holding an attributed file becomes a symlink pointing outside.
    { name: 'd/', type: 'directory', xattrs: { 'user.pwned': Buffer.from('d') } },
    { name: 'd/keep', content: 'x', xattrs: { 'user.pwned': Buffer.from('keep') } },
    { name: 'd', type: 'symlink', linkname: '../../sentinel-dir' },
    // An attributed file is replaced by a symlink to a file outside.
    { name: 'f', content: 'x', xattrs: { 'user.pwned': Buffer.from('f') } },
    { name: 'f', type: 'symlink', linkname: ws.outside },
    // A symlink carrying attributes gets them itself (lsetxattr), never its target.
    { name: 'link', type: 'symlink', linkname: '../../outside', xattrs: { 'user.pwned': Buffer.from('link') } },
  ]));
  await assertOutsideUntouched(ws);
  assert.deepEqual(await xattrsOf(join(ws.target, 'd')), {});
  assert.deepEqual(await xattrsOf(join(ws.target, 'f')), {});
  // user.* on a symlink is refused by the kernel: skipped, and the target is unchanged.
  assert.equal(result.xattrs, 0);
  assert.deepEqual(result.xattrWarnings, ['link: user.pwned: Operation not permitted']);
});

test('a recorded path whose parent became a symlink is refused before setfattr runs', async () => {
  const ws = await workspace();
  await mkdir(join(ws.target, 'd'));
  await writeFile(join(ws.target, 'd', 'keep'), 'x');
  const pending = new LayerXattrs();
  pending.record(['d', 'keep'], 'd/keep', [{ name: 'user.pwned', value: Buffer.from('1') }]);
  // What a later entry could do if the layer's bookkeeping ever missed it.
  await rm(join(ws.target, 'd'), { recursive: true });
  await symlink(ws.sentinelDir, join(ws.target, 'd'));
  await mkdir(join(ws.target, ws.sentinelDir), { recursive: true });
  await writeFile(join(ws.target, ws.sentinelDir, 'keep'), 'x');
  const err = await kilnRejection(applyXattrs(ws.target, pending));
  assert.equal(err.code, 'INVALID_ARGUMENT');
  assert.match(err.message, /layer entry "d\/keep"/);
  await assertOutsideUntouched(ws);
});

test('a whiteout removes a file that had attributes, in a lower layer or earlier in its own', async () => {
  const target = await workDir();
  await applyLayer(target, await layer([{ name: 'etc/f', content: 'x', xattrs: { 'user.x': Buffer.from('1') } }]));
  assert.deepEqual(await xattrsOf(join(target, 'etc/f')), { 'user.x': hex('1') });
  const result = await applyLayer(target, await layer([
    { name: 'etc/.wh.f', content: '' },
    { name: 'g/h', content: 'x', xattrs: { 'user.y': Buffer.from('1') } },
    { name: '.wh.g', content: '' },
  ]));
  assert.equal(result.xattrs, 0);
  assert.equal(result.skippedXattrs, 0);
  await assert.rejects(lstat(join(target, 'etc/f')), { code: 'ENOENT' });
  await assert.rejects(lstat(join(target, 'g')), { code: 'ENOENT' });
});

test('a malformed xattr record is a corrupt tar', async () => {
  const target = await workDir();
  await assert.rejects(applyLayer(target, await layer([
    { name: 'f', content: 'x', libarchive: { 'user.a': Buffer.from('1') } },
  ]).then(async (tar) => {
    const chunks: Buffer[] = [];
    for await (const chunk of tar) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    bytes.write('!', bytes.indexOf('LIBARCHIVE.xattr.user.a=') + 'LIBARCHIVE.xattr.user.a='.length);
    return Readable.from([bytes]);
  })), (err) => isKilnError(err) && err.code === 'INVALID_ARGUMENT' && /truncated or corrupt/.test(err.message));
});

test('the raw-PAX hook refuses to run on a tar-stream without its internals', () => {
  assert.throws(() => captureXattrs({} as never), /lacks the hooks/);
});
