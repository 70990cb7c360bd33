import assert from 'node:assert/strict';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolveUser, resolveUserIn } from '../../../src/executor/index.js';
import { kilnErrorOf, kilnRejection } from '../../helpers/errors.js';
import { tempDir } from '../../helpers/tmp.js';

const passwd = [
  'root:x:0:0:root:/root:/bin/sh',
  '# a comment',
  'app:x:1000:1000:app:/home/app:/bin/sh',
  'svc:x:1001:1001::/srv:/bin/false',
  '',
].join('\n');
const group = ['root:x:0:', 'app:x:1000:', 'svc:x:1001:', 'wheel:x:10:app,svc', 'audio:x:29:app', ''].join('\n');

describe('resolveUserIn', () => {
  it('resolves names through passwd, with supplementary groups from group membership', () => {
    assert.deepEqual(resolveUserIn('app', passwd, group), { uid: 1000, gid: 1000, additionalGids: [10, 29], home: '/home/app' });
    assert.deepEqual(resolveUserIn('', passwd, group), { uid: 0, gid: 0, additionalGids: [], home: '/root' });
    assert.deepEqual(resolveUserIn('1001', passwd, group), { uid: 1001, gid: 1001, additionalGids: [10], home: '/srv' });
  });

  it('takes numeric ids without entries: gid 0 and home /', () => {
    assert.deepEqual(resolveUserIn('1234', passwd, group), { uid: 1234, gid: 0, additionalGids: [], home: '/' });
    assert.deepEqual(resolveUserIn('1234:5678', undefined, undefined), { uid: 1234, gid: 5678, additionalGids: [], home: '/' });
  });

  it('an explicit group replaces the passwd gid and drops supplementary groups', () => {
    assert.deepEqual(resolveUserIn('app:wheel', passwd, group), { uid: 1000, gid: 10, additionalGids: [], home: '/home/app' });
    assert.deepEqual(resolveUserIn('app:4242', passwd, group), { uid: 1000, gid: 4242, additionalGids: [], home: '/home/app' });
  });

  it('names that do not exist are errors worded like Docker', () => {
    const user = kilnErrorOf(() => resolveUserIn('nobody2', passwd, group));
    assert.equal(user.message, 'unable to find user nobody2: no matching entries in passwd file');
    assert.equal(user.code, 'NOT_FOUND');
    const grp = kilnErrorOf(() => resolveUserIn('app:staff', passwd, group));
    assert.equal(grp.message, 'unable to find group staff: no matching entries in group file');
    assert.equal(kilnErrorOf(() => resolveUserIn('app', undefined, undefined)).code, 'NOT_FOUND');
  });

  it('refuses out-of-range ids and malformed specs', () => {
    assert.equal(kilnErrorOf(() => resolveUserIn('2147483648', passwd, group)).code, 'INVALID_ARGUMENT');
    assert.equal(kilnErrorOf(() => resolveUserIn('-1', passwd, group)).code, 'INVALID_ARGUMENT');
    assert.equal(kilnErrorOf(() => resolveUserIn('a:b:c', passwd, group)).code, 'INVALID_ARGUMENT');
  });
});

describe('resolveUser', () => {
  it('reads the image files, never following a symlink out of the rootfs', async () => {
    const dir = await tempDir('executor-user');
    const host = join(dir, 'host');
    const rootfs = join(dir, 'rootfs');
    await mkdir(join(host, 'etc'), { recursive: true });
    await mkdir(join(rootfs, 'etc'), { recursive: true });
    await mkdir(join(rootfs, 'data'));
    // The "host" passwd knows a user the image does not; a naive read would find it.
    await writeFile(join(host, 'etc', 'passwd'), 'hostonly:x:7:7::/h:/bin/sh\n');
    await writeFile(join(rootfs, 'data', 'passwd'), 'img:x:55:66::/img:/bin/sh\n');
    await symlink(`../../../../../../..${host}/etc/passwd`, join(rootfs, 'etc', 'passwd'));
    assert.equal((await kilnRejection(resolveUser(rootfs, 'hostonly'))).code, 'NOT_FOUND');
    // An absolute link to the host's file resolves inside the rootfs, where there is none.
    await rm(join(rootfs, 'etc', 'passwd'));
    await symlink(`${host}/etc/passwd`, join(rootfs, 'etc', 'passwd'));
    assert.equal((await kilnRejection(resolveUser(rootfs, 'hostonly'))).code, 'NOT_FOUND');
  });

  it('follows in-image absolute symlinks and refuses non-regular files', async () => {
    const rootfs = await tempDir('executor-user-links');
    await mkdir(join(rootfs, 'etc'));
    await mkdir(join(rootfs, 'data'));
    await writeFile(join(rootfs, 'data', 'passwd'), 'img:x:55:66::/img:/bin/sh\n');
    await symlink('/data/passwd', join(rootfs, 'etc', 'passwd'));
    await mkdir(join(rootfs, 'etc', 'group'));
    assert.equal((await kilnRejection(resolveUser(rootfs, 'img'))).message, '/etc/group in the image is not a regular file');
  });

  it('resolves through an in-image symlink when the files are sane', async () => {
    const rootfs = await tempDir('executor-user-ok');
    await mkdir(join(rootfs, 'etc'));
    await mkdir(join(rootfs, 'data'));
    await writeFile(join(rootfs, 'data', 'passwd'), 'img:x:55:66::/img:/bin/sh\n');
    await symlink('/data/passwd', join(rootfs, 'etc', 'passwd'));
    await writeFile(join(rootfs, 'etc', 'group'), 'g:x:77:img\n');
    assert.deepEqual(await resolveUser(rootfs, 'img'), { uid: 55, gid: 66, additionalGids: [77], home: '/img' });
  });
});
