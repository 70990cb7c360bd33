// `kiln run`'s resource and stop flags (-m, --cpus, --stop-signal, --stop-timeout), -d -i, a
// missing working directory and `rm -v`, against the busybox fixture in real runc containers.
// Nothing may be left after each test: no mount, no runc state, no container, no volume.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { canRunContainers, containerUser } from '../helpers/kiln-env.js';
import { settledEntries } from '../helpers/store-entries.js';

const user = await containerUser('run-limits');
const { image, runcList } = user;

async function lines(args: string[]): Promise<string[]> {
  const result = await user.kiln(args);
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.split('\n').filter((line) => line !== '');
}

async function detached(args: string[]): Promise<string> {
  const [id] = await lines(['run', '-d', ...args]);
  assert.match(id ?? '', /^[0-9a-f]{64}$/);
  return id as string;
}

describe('kiln run: limits, stop signals, -d -i, rm -v', { skip: canRunContainers ? false : 'needs root for mounts and runc' }, () => {
  afterEach(async () => {
    const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
    assert.ok(!mountinfo.includes(user.root), 'a mount is left under the root');
    assert.equal(await runcList(), '');
    assert.deepEqual(await lines(['ps', '-a', '-q']), []);
    assert.deepEqual(await lines(['volume', 'ls', '-q']), []);
    assert.deepEqual(await settledEntries(join(user.root, 'containers')), []);
  });

  it('enforces --memory: a process past the limit is OOM-killed (137)', async () => {
    const ran = await user.kiln(['run', '--rm', '-m', '16m', image, 'sh', '-c',
      'cat /sys/fs/cgroup/memory/memory.limit_in_bytes; x=$(head -c 64000000 /dev/zero | tr "\\0" a); echo survived']);
    assert.equal(ran.status, 137, ran.stderr);
    assert.equal(ran.stdout, `${16 * 1024 * 1024}\n`);
  });

  it('sets the CFS quota for --cpus', async () => {
    const ran = await user.kiln(['run', '--rm', '--cpus', '0.5', image, 'cat', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us', '/sys/fs/cgroup/cpu/cpu.cfs_period_us']);
    assert.deepEqual([ran.status, ran.stdout], [0, '50000\n100000\n']);
  });

  it('refuses bad limits before anything is created (exit 125, the flag named)', async () => {
    for (const [flag, value] of [['-m', '12q'], ['--cpus', '99'], ['--stop-signal', 'NOPE'], ['--stop-timeout', 'x']] as const) {
      const ran = await user.kiln(['run', '--rm', flag, value, image, 'true']);
      assert.equal(ran.status, 125, `${flag} ${value}`);
      assert.match(ran.stderr, /memory|CPUs|signal|stop-timeout/);
    }
  });

  it('stops with --stop-signal and waits --stop-timeout before SIGKILL', async () => {
    const graceful = await detached(['--stop-signal', 'USR1', image, 'sh', '-c', 'trap "echo usr1; exit 7" USR1; while true; do sleep 0.1; done']);
    await lines(['stop', graceful]);
    assert.deepEqual(await lines(['logs', graceful]), ['usr1']);
    assert.deepEqual(await lines(['wait', graceful]), ['7']);
    await lines(['rm', graceful]);
    // The signal is ignored: after --stop-timeout (1 s, not docker's default 10) comes SIGKILL.
    const stubborn = await detached(['--stop-timeout', '1', image, 'sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done']);
    const started = Date.now();
    await lines(['stop', stubborn]);
    const took = Date.now() - started;
    assert.ok(took >= 1000 && took < 8000, `stop took ${took} ms`);
    assert.deepEqual(await lines(['wait', stubborn]), ['137']);
    await lines(['rm', stubborn]);
  });

  it('keeps a detached container\'s stdin open with -d -i', async () => {
    const id = await detached(['-i', image, 'cat']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [status] = await lines(['container', 'inspect', '--format', '{{.State.Status}}', id]);
    assert.equal(status, 'running');
    await lines(['rm', '-f', id]);
  });

  it('creates a missing working directory, owned by root as docker does', async () => {
    const ran = await user.kiln(['run', '--rm', '-u', 'app', '-w', '/new/dir', image, 'sh', '-c', 'pwd; stat -c "%u %a" .']);
    assert.deepEqual([ran.status, ran.stdout], [0, '/new/dir\n0 755\n']);
  });

  it('removes anonymous volumes with rm -v, never named ones', async () => {
    await lines(['run', '--name', 'vols', '-v', '/anon', '-v', 'named:/named', image, 'true']);
    assert.equal((await lines(['volume', 'ls', '-q'])).length, 2);
    await lines(['rm', '-v', 'vols']);
    assert.deepEqual(await lines(['volume', 'ls', '-q']), ['named']);
    await lines(['volume', 'rm', 'named']);
  });
});
