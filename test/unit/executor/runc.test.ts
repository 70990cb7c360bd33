// Real runc runs of the busybox rootfs, each with a private `runc --root`; the after hook
// checks that no container state and no mount under the temp dirs is left behind.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  buildSpec, resolveUser, runcRun, writeEtcFiles, type ProcessSpec, type RunResult, type SpecOptions,
} from '../../../src/executor/index.js';
import { kilnRejection } from '../../helpers/errors.js';
import { busyboxRootfs } from './busybox-rootfs.js';

// Outside CI a non-root developer gets an explicit skip; in CI (always root) these never skip.
const canRun = process.getuid?.() === 0 || process.env['CI'] !== undefined;
let rootfs = '';
let work = '';
let runcRoot = '';
let counter = 0;

interface Ran extends RunResult { stdout: string; stderr: string }

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString('utf8');
}

async function run(
  proc: Partial<ProcessSpec>, extra: Partial<SpecOptions> = {}, stdin?: Readable, signal?: AbortSignal,
): Promise<Ran> {
  counter += 1;
  const id = `kiln-test-${process.pid}-${counter}`;
  const process_: ProcessSpec = { args: ['true'], env: [], cwd: '/', user: '', ...proc };
  const user = await resolveUser(rootfs, process_.user);
  const spec = buildSpec({ process: process_, rootfs, hostname: 'kilnbox', network: { mode: 'none' }, ...extra }, user);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  const io = stdin === undefined ? { stdout, stderr } : { stdin, stdout, stderr };
  const result = await runcRun({ id, bundleDir: join(work, 'bundles', id), spec, io, runcRoot, ...(signal ? { signal } : {}) });
  return { ...result, stdout: out(), stderr: err() };
}

function runcList(): string {
  return execFileSync('runc', ['--root', runcRoot, 'list', '-q'], { encoding: 'utf8' }).trim();
}

describe('runcRun', { skip: canRun ? false : 'needs root for runc' }, () => {
  before(async () => {
    // Made here rather than with tempDir: an `after` registered inside `before` runs too early.
    work = await mkdtemp(join(tmpdir(), 'kiln-executor-runc-'));
    rootfs = await busyboxRootfs(work);
    runcRoot = join(work, 'runc');
    await mkdir(runcRoot);
  });

  after(async () => {
    try {
      assert.equal(runcList(), '');
      const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
      assert.ok(!mountinfo.includes(work), 'a mount is left behind');
      assert.deepEqual(await readdir(join(work, 'bundles')).catch(() => []), []);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it('reports the exit code and keeps stdout and stderr apart', async () => {
    assert.equal((await run({ args: ['sh', '-c', 'exit 3'] })).exitCode, 3);
    const ran = await run({ args: ['sh', '-c', 'echo out; echo err >&2'] });
    assert.deepEqual([ran.exitCode, ran.stdout, ran.stderr], [0, 'out\n', 'err\n']);
  });

  it('pipes stdin and sets env and cwd', async () => {
    const ran = await run({ args: ['cat'] }, {}, Readable.from([Buffer.from('piped\n')]));
    assert.equal(ran.stdout, 'piped\n');
    const env = await run({ args: ['sh', '-c', 'echo "$FOO $HOSTNAME $HOME $(pwd)"; echo "$PATH"'], env: ['FOO=bar'], cwd: '/tmp' });
    assert.equal(env.stdout, 'bar kilnbox /root /tmp\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n');
  });

  it('runs as a named user and as numeric ids', async () => {
    assert.equal((await run({ args: ['id'], user: 'app' })).stdout, 'uid=1000(app) gid=1000(app)\n');
    assert.match((await run({ args: ['id'], user: '1234:5678' })).stdout, /^uid=1234 gid=5678/);
  });

  it('refuses an unknown user before creating anything', async () => {
    const err = await kilnRejection(run({ user: 'ghost' }));
    assert.equal(err.message, 'unable to find user ghost: no matching entries in passwd file');
    assert.equal(runcList(), '');
  });

  it('reports a missing executable as runc does, leaving nothing behind', async () => {
    const err = await kilnRejection(run({ args: ['/nope'] }));
    assert.equal(err.code, 'NOT_FOUND');
    assert.match(err.message, /no such file or directory/);
    assert.equal(runcList(), '');
  });

  it('shows /etc/hostname and /etc/hosts, and only lo with network none', async () => {
    const dir = join(work, 'etc');
    await mkdir(dir, { recursive: true });
    const mounts = await writeEtcFiles({ dir, hostname: 'kilnbox', network: { mode: 'none' } });
    const ran = await run({ args: ['sh', '-c', 'cat /etc/hostname; hostname; tail -n 1 /etc/hosts; ls /sys/class/net'] }, { mounts });
    assert.equal(ran.stdout, 'kilnbox\nkilnbox\n127.0.0.1\tkilnbox\nlo\n');
  });

  it('masks /proc/kcore', async () => {
    // runc bind-mounts /dev/null over it: reading yields nothing instead of the host's memory.
    const ran = await run({ args: ['sh', '-c', 'head -c 16 /proc/kcore | wc -c'] });
    assert.equal(ran.stdout, '0\n');
  });

  it('kills the container on abort: exit 137 and no runc state left', async () => {
    const controller = new AbortController();
    const running = run({ args: ['sleep', '60'] }, {}, undefined, controller.signal);
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    const ran = await running;
    assert.deepEqual([ran.exitCode, ran.signal], [137, 'SIGKILL']);
    assert.ok(Date.now() - started < 10_000);
    assert.equal(runcList(), '');
  });

  // The cgroup v1 memory controller is mounted at /sys/fs/cgroup/memory here and runc creates
  // the container's cgroup under its own; the kernel's OOM killer then SIGKILLs the process.
  // busybox sort holds its whole input (here one line of zero bytes) in memory.
  it('enforces a 32 MiB memory limit with the OOM killer', async () => {
    const memoryBytes = 32 * 1024 * 1024;
    const allocate = (bytes: number): Partial<ProcessSpec> => ({ args: ['sh', '-c', `head -c ${bytes} /dev/zero | sort >/dev/null`] });
    // Under the limit a process runs normally. (busybox sort of one long line of NULs is
    // killed even at 1 MiB of input — its line handling grows memory far beyond the input —
    // so the control is a plain command.)
    assert.equal((await run({ args: ['sh', '-c', 'echo fits'] }, { memoryBytes })).stdout, 'fits\n');
    const big = await run(allocate(96 * 1024 * 1024), { memoryBytes });
    assert.deepEqual([big.exitCode, big.signal], [137, 'SIGKILL']);
  });
});
