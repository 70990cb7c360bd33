// Detached containers and their lifecycle commands (`run -d`, logs, stop, kill, wait,
// container inspect, rm -f) against the busybox fixture, each run a real runc container
// supervised by the root's daemon, which the first command starts. After every test nothing may
// be left: no mount under the root, no runc state, no container, no process naming the root
// but the daemon.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, it } from 'node:test';
import { processAlive } from '../../src/util/process-alive.js';
import { canRunContainers, containerUser } from '../helpers/kiln-env.js';

const user = await containerUser('lifecycle');
const { image, runcList } = user;

/** The pid of the root's daemon, from its pid file. */
async function daemonPid(): Promise<number> {
  return Number(await readFile(join(user.root, 'kilnd.pid'), 'utf8'));
}

/** Processes other than the daemon whose command line names the test's root: runc, or a leftover. */
async function processesOfRoot(): Promise<string[]> {
  const daemon = await daemonPid();
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p) && Number(p) !== daemon)) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(user.root) && processAlive(Number(pid))) found.push(cmdline.replace(/\0/g, ' '));
  }
  return found;
}

async function kiln(args: string[]): Promise<string> {
  const result = await user.kiln(args);
  assert.equal(result.status, 0, `kiln ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

async function runDetached(args: string[]): Promise<string> {
  const id = (await kiln(['run', '-d', ...args])).trim();
  assert.match(id, /^[a-f0-9]{64}$/);
  return id;
}

/** The fields of docker's ContainerJSON that the tests read. */
interface InspectedContainer {
  Id: string;
  Name: string;
  Path: string;
  Args: string[];
  Image: string;
  LogPath: string;
  State: { Status: string; Running: boolean; Pid: number; ExitCode: number; Error: string; StartedAt: string; FinishedAt: string };
  Config: { Image: string; Env: string[]; WorkingDir: string };
  HostConfig: { AutoRemove: boolean; NetworkMode: string };
}

async function inspect(name: string): Promise<InspectedContainer> {
  const [found] = JSON.parse(await kiln(['container', 'inspect', name])) as InspectedContainer[];
  assert.ok(found !== undefined);
  // The daemon supervises the run: the record names it.
  if (found.State.Running) assert.equal(found.State.Pid, await daemonPid());
  return found;
}

/** Polls `logs` until its stdout holds `text`. */
async function logsContaining(name: string, text: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await kiln(['logs', name])).includes(text)) return;
    await delay(50);
  }
  assert.fail(`logs of ${name} never showed ${text}`);
}

describe('detached containers and their lifecycle', { skip: canRunContainers ? false : 'needs root for mounts and runc' }, () => {
  afterEach(async () => {
    const left = (await kiln(['ps', '-aq'])).trim();
    // A failed test's containers are removed before the checks, so that its failure is reported
    // once, here, rather than again by every test after it.
    if (left !== '') await user.kiln(['rm', '-f', ...left.split('\n')]);
    assert.equal(left, '', 'containers are left behind');
    const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
    assert.ok(!mountinfo.includes(user.root), 'a mount is left under the root');
    assert.equal(await runcList(), '');
    assert.deepEqual(await processesOfRoot(), []);
  });

  it('runs -d in the background: ps shows it Up, logs splits the streams, rm -f ends it', async () => {
    // The pause orders the two lines in the log: they travel through separate pipes.
    const id = await runDetached([image, 'sh', '-c', 'echo hi; sleep 0.5; echo oops >&2; sleep 30']);
    assert.match((await kiln(['ps', '--no-trunc'])).split('\n')[1] ?? '', new RegExp(`^${id} +busybox:1 .* Up .*`));
    await logsContaining(id, 'hi');
    for (let attempt = 0; attempt < 100 && !(await user.kiln(['logs', id])).stderr.includes('oops'); attempt++) await delay(50);
    const logs = await user.kiln(['logs', id.slice(0, 12)]);
    assert.deepEqual([logs.status, logs.stdout, logs.stderr], [0, 'hi\n', 'oops\n']);
    const tail = await user.kiln(['logs', '--tail', '1', '-t', id]);
    assert.deepEqual([tail.stdout, tail.stderr.replace(/^\S+ /, '')], ['', 'oops\n']);
    assert.match(tail.stderr, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z oops\n$/);
    await inspect(id);
    assert.equal((await kiln(['rm', '-f', id])).trim(), id);
  });

  it('stops with SIGKILL after -t when SIGTERM is ignored, and fast when it is handled', async () => {
    await runDetached(['--name', 'stubborn', image, 'sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 0.1; done']);
    await runDetached(['--name', 'polite', image, 'sh', '-c', 'trap "exit 7" TERM; echo ready; while true; do sleep 0.1; done']);
    await inspect('stubborn');
    await inspect('polite');
    await logsContaining('stubborn', 'ready');
    await logsContaining('polite', 'ready');
    const started = Date.now();
    assert.equal(await kiln(['stop', '-t', '1', 'stubborn']), 'stubborn\n');
    assert.ok(Date.now() - started >= 1000, 'stop waited for the grace period');
    const fast = Date.now();
    assert.equal(await kiln(['stop', 'polite']), 'polite\n');
    assert.ok(Date.now() - fast < 5000, 'a container that handles SIGTERM stops without the grace period');
    const ps = await kiln(['ps', '-a']);
    assert.match(ps, /Exited \(137\) .* stubborn\n/);
    assert.match(ps, /Exited \(7\) .* polite\n/);
    await kiln(['rm', 'stubborn', 'polite']);
  });

  it('delivers kill -s USR1, and wait prints the exit code', async () => {
    await runDetached(['--name', 'signalled', image, 'sh', '-c', 'trap "echo got-usr1" USR1; echo ready; while true; do sleep 0.1; done']);
    await inspect('signalled');
    await logsContaining('signalled', 'ready');
    assert.equal(await kiln(['kill', '-s', 'USR1', 'signalled']), 'signalled\n');
    await logsContaining('signalled', 'got-usr1');
    assert.equal(await kiln(['kill', 'signalled']), 'signalled\n');
    assert.equal(await kiln(['wait', 'signalled']), '137\n');
    const again = await user.kiln(['kill', 'signalled']);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /is not running/);
    await runDetached(['--name', 'five', image, 'sh', '-c', 'exit 5']);
    assert.equal(await kiln(['wait', 'five']), '5\n');
    await kiln(['rm', 'signalled', 'five']);
  });

  it('removes a -d --rm container once it exits, and reports a start failure with 127', async () => {
    await runDetached(['--rm', '--name', 'brief', image, 'sh', '-c', 'sleep 0.3']);
    for (let attempt = 0; attempt < 100 && (await kiln(['ps', '-aq'])).trim() !== ''; attempt++) await delay(50);
    assert.equal((await kiln(['ps', '-aq'])).trim(), '');
    const missing = await user.kiln(['run', '-d', '--rm', image, 'no-such-command']);
    assert.deepEqual([missing.status, missing.stdout], [127, '']);
    assert.match(missing.stderr, /"no-such-command": executable file not found/);
  });

  it('follows logs with -f until the container exits', async () => {
    await runDetached(['--name', 'counter', image, 'sh', '-c', 'for i in 1 2 3; do echo $i; sleep 0.3; done']);
    const followed = await user.kiln(['logs', '-f', 'counter'], { timeoutMs: 20_000 });
    assert.deepEqual([followed.status, followed.signal, followed.stdout], [0, null, '1\n2\n3\n']);
    await kiln(['rm', 'counter']);
  });

  it('inspects a container with docker\'s fields and --format', async () => {
    const id = await runDetached(['--name', 'inspected', '-e', 'A=1', '-w', '/etc', image, 'sh', '-c', 'exit 2']);
    assert.equal(await kiln(['wait', id]), '2\n');
    const found = await inspect('inspected');
    assert.equal(found.Id, id);
    assert.equal(found.Name, '/inspected');
    assert.deepEqual([found.Path, found.Args], ['sh', ['-c', 'exit 2']]);
    assert.deepEqual(
      [found.State.Status, found.State.Running, found.State.Pid, found.State.ExitCode, found.State.Error],
      ['exited', false, 0, 2, ''],
    );
    assert.ok(Date.parse(found.State.FinishedAt) >= Date.parse(found.State.StartedAt));
    assert.match(found.Image, /^sha256:[a-f0-9]{64}$/);
    assert.equal(found.Config.Image, 'busybox:1');
    assert.equal(found.Config.WorkingDir, '/etc');
    assert.ok(found.Config.Env.includes('A=1'));
    assert.deepEqual([found.HostConfig.AutoRemove, found.HostConfig.NetworkMode], [false, 'bridge']);
    assert.equal(found.LogPath, join(user.root, 'containers', id, `${id}-json.log`));
    assert.equal(await kiln(['container', 'inspect', '--format', '{{.State.Status}} {{.State.ExitCode}} {{.Name}}', id]), 'exited 2 /inspected\n');
    await kiln(['rm', id]);
  });

  it('keeps a json log of a foreground run too', async () => {
    const ran = await user.kiln(['run', '--name', 'fore', image, 'sh', '-c', 'echo out; echo err >&2']);
    assert.deepEqual([ran.status, ran.stdout, ran.stderr], [0, 'out\n', 'err\n']);
    const logs = await user.kiln(['logs', 'fore']);
    assert.deepEqual([logs.stdout, logs.stderr], ['out\n', 'err\n']);
    const id = (await inspect('fore')).Id;
    const lines = (await readFile(join(user.root, 'containers', id, `${id}-json.log`), 'utf8')).trim().split('\n');
    // The two streams arrive through separate pipes: their order in the file is not fixed.
    const entries = lines.map((l) => JSON.parse(l) as { log: string; stream: string; time: string }).map(({ log, stream }) => `${stream}:${log}`);
    assert.deepEqual(entries.sort(), ['stderr:err\n', 'stdout:out\n']);
    await kiln(['rm', 'fore']);
  });

  it('shows the true state after kill -9 of the daemon, and rm -f leaves nothing mounted', async () => {
    await runDetached(['--name', 'orphan', image, 'sleep', '30']);
    const daemon = (await inspect('orphan')).State.Pid;
    process.kill(daemon, 'SIGKILL');
    for (let attempt = 0; attempt < 100 && processAlive(daemon); attempt++) await delay(20);
    // The next command starts a daemon, whose recovery kills the container nobody supervises.
    assert.match(await kiln(['ps', '-a']), /Exited \(137\) .* orphan\n/);
    assert.notEqual(await daemonPid(), daemon);
    assert.equal(await runcList(), '');
    assert.equal(await kiln(['rm', '-f', 'orphan']), 'orphan\n');
  });
});
