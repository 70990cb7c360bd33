// kilnd against real runc containers: a daemon on a temporary root and socket, driven through
// its socket by hand and by the CLI (`--host`). It owns its root alone, answers bad requests with
// JSON errors and keeps serving, lets a container outlive a client that went away, recovers the
// truth after kill -9, and leaves nothing behind on SIGTERM. Without --host the CLI starts a
// daemon of its own for the root.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, afterEach, describe, it } from 'node:test';
import { canRunContainers, containerUser, stopDaemon as stopRootDaemon } from '../helpers/kiln-env.js';
import { processAlive } from '../../src/util/process-alive.js';
import { tempDir } from '../helpers/tmp.js';

const user = await containerUser('daemon');
const { image, runcList } = user;
const sockets = await tempDir('daemon-sock');
const work = await tempDir('daemon-work');
const daemonMain = fileURLToPath(new URL('../../src/daemon/main.ts', import.meta.url));

interface Daemon {
  child: ChildProcess;
  socket: string;
  stderr(): string;
  /** The exit code, or the signal that ended it. */
  exited: Promise<number | string>;
}

const started: Daemon[] = [];
after(async () => {
  for (const daemon of started) {
    if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill('SIGKILL');
  }
});

/** kilnd on the user's root and `socket`; resolves once it listens (or has exited). */
async function startDaemon(socket = join(sockets, 'kiln.sock')): Promise<Daemon> {
  const child = spawn(process.execPath, ['--import', 'tsx', daemonMain, '--root', user.root, '--host', `unix://${socket}`], {
    stdio: ['ignore', 'ignore', 'pipe'], detached: true,
  });
  let text = '';
  const exited = once(child, 'exit').then(([code, signal]) => (code as number | null) ?? String(signal));
  const listening = new Promise<void>((resolve) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('"msg":"listening"')) resolve();
    });
  });
  await Promise.race([listening, exited]);
  const daemon = { child, socket, stderr: () => text, exited };
  started.push(daemon);
  return daemon;
}

async function stopDaemon(daemon: Daemon): Promise<number | string> {
  daemon.child.kill('SIGTERM');
  return daemon.exited;
}

function viaHost(daemon: Daemon, args: string[], options: Parameters<typeof user.kiln>[1] = {}): ReturnType<typeof user.kiln> {
  return user.kiln(['--host', `unix://${daemon.socket}`, ...args], options);
}

function call(socket: string, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, headers: { ...headers, ...(body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(body)) }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString(), type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `ps -a` through `daemon`, else through the root's own daemon (started when none runs). */
async function psAll(daemon?: Daemon): Promise<string[]> {
  const ps = await (daemon === undefined ? user.kiln(['ps', '-a', '--no-trunc']) : viaHost(daemon, ['ps', '-a', '--no-trunc']));
  assert.equal(ps.status, 0, ps.stderr);
  return ps.stdout.split('\n').slice(1).filter((line) => line !== '');
}

/** Polls `check`; a timeout fails with `what` and, when given, what `explain` says (a daemon's log). */
async function until(check: () => Promise<boolean>, what: string, explain?: () => Promise<string>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}${explain === undefined ? '' : `:\n${await explain()}`}`);
    await delay(50);
  }
}

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

describe('kilnd', { skip: canRunContainers ? false : 'needs root for mounts and runc' }, () => {
  afterEach(async () => {
    for (const daemon of started) {
      if (daemon.child.exitCode === null && daemon.child.signalCode === null) await stopDaemon(daemon);
    }
    const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
    assert.ok(!mountinfo.includes(user.root), 'a mount is left under the root');
    assert.equal(await runcList(), '');
    assert.deepEqual(await psAll(), []);
    // ps started the root's own daemon: the next test starts daemons of its own on the root.
    await stopRootDaemon(user.root);
  });

  it('serves a 0660 socket, /_ping and its version, and JSON errors for bad requests', async () => {
    const daemon = await startDaemon();
    assert.equal((await stat(daemon.socket)).mode & 0o777, 0o660);
    assert.deepEqual(await call(daemon.socket, 'GET', '/_ping'), { status: 200, text: 'OK', type: 'text/plain; charset=utf-8' });
    const version = await call(daemon.socket, 'GET', '/kiln/v1/version');
    assert.equal((JSON.parse(version.text) as { apiVersion: string }).apiVersion, '1');
    const malformed = await call(daemon.socket, 'POST', '/kiln/v1/containers/run', '{"image": busybox', { Connection: 'Upgrade', Upgrade: 'tcp' });
    assert.equal(malformed.status, 400);
    assert.equal((JSON.parse(malformed.text) as { code: string }).code, 'INVALID_ARGUMENT');
    const unknown = await call(daemon.socket, 'GET', '/kiln/v1/nothing-here');
    assert.equal(unknown.status, 404);
    assert.match((JSON.parse(unknown.text) as { message: string }).message, /page not found/);
    assert.equal((await call(daemon.socket, 'GET', '/_ping')).text, 'OK', 'the daemon keeps serving');
  });

  it('runs containers for the CLI with --host: stdout and stderr apart, the exit code, stdin with -i', async () => {
    const daemon = await startDaemon();
    const ran = await viaHost(daemon, ['run', '--rm', image, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.deepEqual([ran.status, ran.stdout, ran.stderr], [3, 'out\n', 'err\n']);
    const piped = await viaHost(daemon, ['run', '--rm', '-i', '--network', 'none', image, 'cat'], { input: 'piped\n' });
    assert.deepEqual([piped.status, piped.stdout], [0, 'piped\n']);
    assert.match(daemon.stderr(), /"msg":"run ended","reqId":"[0-9a-z]+","container":"[0-9a-f]{64}","exitCode":3/);
  });

  it('refuses a second daemon on the same root', async () => {
    const first = await startDaemon();
    const second = await startDaemon(join(sockets, 'other.sock'));
    assert.equal(await second.exited, 1);
    assert.match(second.stderr(), new RegExp(`already owns the store root ${user.root}`));
    assert.equal((await call(first.socket, 'GET', '/_ping')).status, 200);
  });

  it('lets a container outlive a client that was killed, then removes it (--rm)', async () => {
    const daemon = await startDaemon();
    const marker = join(work, 'finished');
    const ran = await viaHost(daemon, [
      'run', '--rm', '--network', 'none', '-v', `${work}:/out`, image, 'sh', '-c', 'echo started; sleep 1; echo yes > /out/finished',
    ], { onSpawn: (proc) => proc.stdout?.once('data', () => proc.kill('SIGKILL')) });
    assert.equal(ran.signal, 'SIGKILL');
    await until(async () => (await exists(marker)) && (await psAll(daemon)).length === 0, 'the container finished and was removed');
    assert.equal(await readFile(marker, 'utf8'), 'yes\n');
  });

  it('after kill -9 and a restart, shows the lost run as exited and removes it cleanly', async () => {
    const first = await startDaemon();
    const ran = await viaHost(first, ['run', '--name', 'orphan', '--network', 'none', image, 'sh', '-c', 'echo started; exec sleep 30'], {
      onSpawn: (proc) => proc.stdout?.once('data', () => first.child.kill('SIGKILL')),
    });
    assert.equal(ran.status, 125);
    assert.match(ran.stderr, /daemon closed the connection/);
    await first.exited;
    const second = await startDaemon();
    assert.match(second.stderr(), /"msg":"recovered"/);
    const [row] = await psAll(second);
    assert.match(row ?? '', /Exited \((137|255)\) .* orphan$/);
    assert.equal((await viaHost(second, ['rm', 'orphan'])).status, 0);
    assert.equal(await runcList(), '');
  });

  it('on SIGTERM removes its socket and pid file and exits 0', async () => {
    const daemon = await startDaemon();
    assert.ok(await exists(join(user.root, 'kilnd.pid')));
    assert.equal(await stopDaemon(daemon), 0, daemon.stderr());
    assert.deepEqual([await exists(daemon.socket), await exists(join(user.root, 'kilnd.pid'))], [false, false]);
  });

  it('ends, when started embedded, once its store root is removed, even if the path is made again', async () => {
    const root = await tempDir('daemon-embedded');
    const listed = await user.kiln(['--root', root, 'volume', 'ls', '-q']);
    assert.equal(listed.status, 0, listed.stderr);
    const pid = Number(await readFile(join(root, 'kilnd.pid'), 'utf8'));
    // A daemon that has exited but is not yet reaped counts as gone.
    const alive = (): boolean => processAlive(pid);
    assert.ok(alive(), 'the CLI started a daemon for the root');
    // The daemon may be writing under the root (its network pool) while it goes: tried again.
    await rm(root, { recursive: true, force: true, maxRetries: 10 });
    // As a write under way when the root went would: the same path, another directory.
    await mkdir(join(root, 'network'), { recursive: true });
    await until(async () => !alive(), 'the embedded daemon stopped');
  });

  it('is started by a plain `kiln --root R run` when none runs, once for two clients at once', async () => {
    // The log is the root's: earlier tests' checks started daemons that wrote to it too.
    const logFrom = (await readFile(join(user.root, 'kilnd.log'), 'utf8').catch(() => '')).length;
    const runs = await Promise.all(['one', 'two'].map((word) => user.kiln(['run', '--rm', '--network', 'none', image, 'echo', word])));
    assert.deepEqual(runs.map((ran) => [ran.status, ran.stdout]), [[0, 'one\n'], [0, 'two\n']], runs.map((ran) => ran.stderr).join(''));
    const log = (await readFile(join(user.root, 'kilnd.log'), 'utf8')).slice(logFrom);
    assert.equal(log.match(/"msg":"listening"/g)?.length, 1);
    assert.equal((await stat(join(user.root, 'kiln.sock'))).mode & 0o777, 0o660);
    const logTail = async (): Promise<string> => (await readFile(join(user.root, 'kilnd.log'), 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
    // The losing client's daemon may still be starting: on a loaded machine it can reach the
    // root only after the winner has stopped, and then owns it. Each owner in turn is stopped.
    await until(async () => {
      const owner = Number(await readFile(join(user.root, 'kilnd.pid'), 'utf8').catch(() => '0'));
      if (owner > 0) {
        try {
          process.kill(owner, 'SIGTERM');
        } catch {
          // Gone between the read and the signal.
        }
      }
      return !(await exists(join(user.root, 'kilnd.pid')));
    }, 'the embedded daemon stopped', logTail);
  });
});
