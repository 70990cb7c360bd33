import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { buildSpec, containerEnv, type SpecOptions } from '../../../src/executor/index.js';
import { kilnErrorOf } from '../../helpers/errors.js';

const root = { uid: 0, gid: 0, additionalGids: [], home: '/root' };
const options: SpecOptions = {
  process: {
    args: ['sh', '-c', 'echo hello'],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'FOO=bar'],
    cwd: '/',
    user: '',
  },
  rootfs: '/var/lib/kiln/snapshots/1/fs',
  hostname: 'f00dcafe1234',
  network: { mode: 'none' },
  mounts: [{ destination: '/etc/hosts', source: '/var/lib/kiln/containers/c1/hosts', type: 'bind', options: ['rbind', 'rprivate'] }],
};

describe('buildSpec', () => {
  it('matches the golden Docker-like default spec', async () => {
    const golden: unknown = JSON.parse(await readFile('fixtures/executor/spec-default.json', 'utf8'));
    assert.deepEqual(JSON.parse(JSON.stringify(buildSpec(options, root))), golden);
  });

  it('keeps the host network without sysctls and joins a given namespace', () => {
    const host = buildSpec({ ...options, network: { mode: 'host' } }, root);
    assert.deepEqual(host.linux.namespaces.map((ns) => ns.type), ['pid', 'ipc', 'uts', 'mount']);
    assert.equal(host.linux.sysctl, undefined);
    const joined = buildSpec({ ...options, network: { mode: 'netns', path: '/run/netns/n1' } }, root);
    assert.deepEqual(joined.linux.namespaces[1], { type: 'network', path: '/run/netns/n1' });
  });

  it('turns memory and cpus into cgroup limits', () => {
    const spec = buildSpec({ ...options, memoryBytes: 32 * 1024 * 1024, cpus: 1.5, cgroupsPath: 'kiln/c1' }, root);
    assert.deepEqual(spec.linux.resources.memory, { limit: 33554432 });
    assert.deepEqual(spec.linux.resources.cpu, { quota: 150000, period: 100000 });
    assert.equal(spec.linux.cgroupsPath, 'kiln/c1');
    assert.equal(kilnErrorOf(() => buildSpec({ ...options, memoryBytes: 1024 }, root)).code, 'INVALID_ARGUMENT');
    assert.equal(kilnErrorOf(() => buildSpec({ ...options, cpus: 0 }, root)).code, 'INVALID_ARGUMENT');
  });

  it('lets a bind replace a kernel mount and sets the user and a read-only root', () => {
    const shm = { destination: '/dev/shm', source: '/tmp/shm', type: 'bind' as const, options: ['rbind'] };
    const spec = buildSpec({ ...options, mounts: [shm], readonlyRootfs: true }, { uid: 1000, gid: 1000, additionalGids: [10], home: '/home/app' });
    assert.deepEqual(spec.mounts.filter((m) => m.destination === '/dev/shm'), [shm]);
    assert.deepEqual(spec.process.user, { uid: 1000, gid: 1000, additionalGids: [10] });
    assert.equal(spec.root.readonly, true);
    assert.ok(spec.process.env.includes('HOME=/home/app'));
  });

  it('puts a root mount for runc to make before every other mount', () => {
    const overlay = { type: 'overlay', source: 'overlay', options: ['lowerdir=/l', 'upperdir=/u', 'workdir=/w'] };
    const spec = buildSpec({ ...options, rootMount: overlay }, root);
    assert.deepEqual(spec.mounts[0], { destination: '/', ...overlay });
    assert.equal(spec.mounts[1]?.destination, '/proc');
    assert.equal(spec.mounts.filter((m) => m.destination === '/').length, 1);
  });

  it('refuses an empty command and a relative cwd', () => {
    assert.equal(kilnErrorOf(() => buildSpec({ ...options, process: { ...options.process, args: [] } }, root)).code, 'INVALID_ARGUMENT');
    assert.equal(kilnErrorOf(() => buildSpec({ ...options, process: { ...options.process, cwd: 'app' } }, root)).code, 'INVALID_ARGUMENT');
  });
});

describe('containerEnv', () => {
  it('puts PATH and HOSTNAME first, lets the process override them, adds HOME last', () => {
    assert.deepEqual(containerEnv([], 'h', '/'), [
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=h', 'HOME=/',
    ]);
    assert.deepEqual(containerEnv(['A=1', 'PATH=/bin', 'HOME=/x', 'A=2'], 'h', '/root'), ['PATH=/bin', 'HOSTNAME=h', 'A=2', 'HOME=/x']);
  });

  it('adds TERM=xterm after HOSTNAME with a terminal, which the process may override', () => {
    assert.deepEqual(containerEnv(['A=1'], 'h', '/', true).slice(1), ['HOSTNAME=h', 'TERM=xterm', 'A=1', 'HOME=/']);
    assert.deepEqual(containerEnv(['TERM=vt100'], 'h', '/', true).slice(1), ['HOSTNAME=h', 'TERM=vt100', 'HOME=/']);
  });
});
