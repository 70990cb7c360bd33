import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { filterResolvConf, writeEtcFiles } from '../../../src/executor/index.js';
import { tempDir } from '../../helpers/tmp.js';

describe('filterResolvConf', () => {
  it('drops loopback nameservers and falls back to public ones when none is left', () => {
    assert.equal(filterResolvConf('nameserver 127.0.0.53\noptions edns0\n'), 'options edns0\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n');
    assert.equal(filterResolvConf('nameserver ::1\nnameserver 10.0.0.2\nsearch lan\n'), 'nameserver 10.0.0.2\nsearch lan\n');
    assert.equal(filterResolvConf(''), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  });
});

describe('writeEtcFiles', () => {
  it('writes hosts, resolv.conf and hostname and returns their binds', async () => {
    const dir = await tempDir('executor-etc');
    const hostResolvConf = join(dir, 'host-resolv.conf');
    await writeFile(hostResolvConf, 'nameserver 127.0.0.1\n');
    const mounts = await writeEtcFiles({
      dir, hostname: 'box', network: { mode: 'none' }, hostResolvConf, extraHosts: [{ host: 'db', ip: '10.1.2.3' }],
    });
    assert.deepEqual(mounts.map((m) => [m.destination, m.source, m.type, m.options]), [
      ['/etc/hosts', join(dir, 'hosts'), 'bind', ['rbind', 'rprivate']],
      ['/etc/resolv.conf', join(dir, 'resolv.conf'), 'bind', ['rbind', 'rprivate']],
      ['/etc/hostname', join(dir, 'hostname'), 'bind', ['rbind', 'rprivate']],
    ]);
    const hosts = await readFile(join(dir, 'hosts'), 'utf8');
    assert.match(hosts, /^127\.0\.0\.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n/);
    assert.ok(hosts.endsWith('10.1.2.3\tdb\n127.0.0.1\tbox\n'));
    assert.equal(await readFile(join(dir, 'resolv.conf'), 'utf8'), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
    assert.equal(await readFile(join(dir, 'hostname'), 'utf8'), 'box\n');
  });

  it('keeps the host files for the host network', async () => {
    const dir = await tempDir('executor-etc-host');
    const hostResolvConf = join(dir, 'r');
    const hostHosts = join(dir, 'h');
    await writeFile(hostResolvConf, 'nameserver 127.0.0.53');
    await writeFile(hostHosts, '127.0.0.1 localhost myhost\n');
    await writeEtcFiles({ dir, hostname: 'myhost', network: { mode: 'host' }, hostResolvConf, hostHosts, address: '192.0.2.1' });
    assert.equal(await readFile(join(dir, 'resolv.conf'), 'utf8'), 'nameserver 127.0.0.53\n');
    assert.equal(await readFile(join(dir, 'hosts'), 'utf8'), '127.0.0.1 localhost myhost\n');
  });
});
