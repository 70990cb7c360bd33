// `kiln exec` into a running detached container, and terminals (`run -t`, `exec -t`) under a
// real pty from util-linux script(1). Afterwards nothing may be left: no mount under the root,
// no runc state, no container, no process of the test's containers.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { kilnCommand } from '../helpers/cli.js';
import { canRunContainers, containerUser, tool } from '../helpers/kiln-env.js';

const user = await containerUser('exec-tty');
const { image, runcList } = user;
const name = 'exec-target';

/** `kiln ARGS` inside a fresh pty, as a person at a terminal would run it. */
async function inPty(args: string[]): Promise<{ status: number; stdout: string }> {
  const { command, args: argv } = kilnCommand(['--root', user.root, ...args]);
  const line = [command, ...argv].map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(' ');
  const result = await tool('script', ['-qec', line, '/dev/null']);
  return { status: result.status, stdout: result.stdout };
}

describe('kiln exec and terminals', { skip: canRunContainers ? false : 'needs root for mounts and runc' }, () => {
  before(async () => {
    const started = await user.kiln(['run', '-d', '--name', name, '-e', 'FROM_RUN=run', '-w', '/tmp', image, 'sleep', '300']);
    assert.equal(started.status, 0, started.stderr);
  });

  after(async () => {
    await user.kiln(['rm', '-f', name]);
    const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
    assert.ok(!mountinfo.includes(user.root), 'a mount is left under the root');
    assert.equal(await runcList(), '');
    assert.equal((await user.kiln(['ps', '-aq'])).stdout, '');
    assert.equal((await tool('pgrep', ['-f', user.root])).stdout, '', 'a process of the test is left');
  });

  it('streams output and passes the exit code through', async () => {
    const ran = await user.kiln(['exec', name, 'sh', '-c', 'echo out; echo err >&2; exit 5']);
    assert.deepEqual([ran.status, ran.stdout, ran.stderr], [5, 'out\n', 'err\n']);
  });

  it('runs with the container\'s env, working directory and user unless -e, -w, -u say otherwise', async () => {
    const plain = await user.kiln(['exec', name, 'sh', '-c', 'echo "$FROM_RUN $(pwd) $(id -u) $HOME"']);
    assert.deepEqual([plain.status, plain.stdout], [0, 'run /tmp 0 /root\n']);
    const changed = await user.kiln(['exec', '-e', 'FROM_RUN=exec', '-e', 'EXTRA=1', '-w', '/etc', '-u', 'nobody', name,
      'sh', '-c', 'echo "$FROM_RUN $EXTRA $(pwd) $(id -u) $HOME"']);
    assert.deepEqual([changed.status, changed.stdout], [0, 'exec 1 /etc 65534 /nonexistent\n']);
  });

  it('attaches stdin only with -i', async () => {
    const attached = await user.kiln(['exec', '-i', name, 'cat'], { input: 'piped\n' });
    assert.deepEqual([attached.status, attached.stdout], [0, 'piped\n']);
    const unattached = await user.kiln(['exec', name, 'cat'], { input: 'piped\n' });
    assert.deepEqual([unattached.status, unattached.stdout], [0, '']);
  });

  it('returns at once with -d, the command going on in the container', async () => {
    const startedAt = Date.now();
    const detached = await user.kiln(['exec', '-d', name, 'sh', '-c', 'sleep 5; echo done > /tmp/detached']);
    assert.deepEqual([detached.status, detached.stdout], [0, '']);
    assert.ok(Date.now() - startedAt < 5000, 'exec -d waited for the command');
    const late = await user.kiln(['exec', name, 'sh', '-c', 'while [ ! -f /tmp/detached ]; do sleep 0.2; done; cat /tmp/detached']);
    assert.deepEqual([late.status, late.stdout], [0, 'done\n']);
  });

  it('passes SIGTERM on to the command, with and without a terminal', async () => {
    for (const flags of [[], ['-t']]) {
      const ended = await user.kiln(['exec', ...flags, name, 'sh', '-c', 'echo started; exec sleep 30'], {
        onSpawn: (proc) => proc.stdout?.once('data', () => proc.kill('SIGTERM')),
      });
      assert.equal(ended.status, 143, `exec ${flags.join(' ')}: ${ended.stderr}`);
    }
    const left = await user.kiln(['exec', name, 'sh', '-c', 'cat /proc/[0-9]*/cmdline']);
    assert.equal(left.stdout.split('sleep').length - 1, 1, 'only the container\'s own sleep runs');
  });

  it('gives 127 for a missing command and 126 for one that cannot run', async () => {
    const missing = await user.kiln(['exec', name, 'no-such-command']);
    assert.equal(missing.status, 127);
    assert.match(missing.stderr, /OCI runtime exec failed: .*"no-such-command": executable file not found/);
    const notRunnable = await user.kiln(['exec', name, '/etc/passwd']);
    assert.equal(notRunnable.status, 126);
  });

  it('refuses -it without a terminal on stdin as docker does', async () => {
    const refused = await user.kiln(['exec', '-it', name, 'true'], { input: '' });
    assert.deepEqual([refused.status, refused.stderr], [1, 'the input device is not a TTY\n']);
    const run = await user.kiln(['run', '--rm', '-it', image, 'true'], { input: '' });
    assert.deepEqual([run.status, run.stderr], [1, 'the input device is not a TTY\n']);
  });

  it('gives run -t a terminal, under a real pty and without one, with the exit code passed through', async () => {
    const underPty = await inPty(['run', '--rm', '-it', image, 'sh', '-c', 'tty; [ -t 0 ] && echo stdin-tty; echo $TERM; exit 3']);
    assert.equal(underPty.status, 3);
    assert.match(underPty.stdout, /^\/dev\/pts\/\d+\r?\nstdin-tty\r?\nxterm\r?\n$/);
    const noTerminal = await user.kiln(['run', '--rm', '-t', image, 'sh', '-c', 'tty; [ -t 1 ] && echo stdout-tty; exit 4']);
    assert.equal(noTerminal.status, 4, noTerminal.stderr);
    assert.match(noTerminal.stdout, /^\/dev\/pts\/\d+\r?\nstdout-tty\r?\n$/);
  });

  it('gives exec -t a terminal the same way', async () => {
    const underPty = await inPty(['exec', '-it', name, 'sh', '-c', 'tty; [ -t 0 ] && echo stdin-tty; exit 6']);
    assert.equal(underPty.status, 6);
    assert.match(underPty.stdout, /^\/dev\/pts\/\d+\r?\nstdin-tty\r?\n$/);
    const noTerminal = await user.kiln(['exec', '-t', name, 'sh', '-c', 'tty']);
    assert.equal(noTerminal.status, 0, noTerminal.stderr);
    assert.match(noTerminal.stdout, /^\/dev\/pts\/\d+\r?\n$/);
  });

  it('runs a detached -t container whose output reaches its log', async () => {
    const started = await user.kiln(['run', '-d', '-t', '--name', 'tty-detached', image, 'sh', '-c', 'tty; exit 2']);
    assert.equal(started.status, 0, started.stderr);
    const waited = await user.kiln(['wait', 'tty-detached']);
    assert.equal(waited.stdout, '2\n');
    const logs = await user.kiln(['logs', 'tty-detached']);
    assert.match(logs.stdout, /^\/dev\/pts\/\d+\r?\n$/);
    assert.equal((await user.kiln(['rm', 'tty-detached'])).status, 0);
  });

  it('refuses exec into a container that is not running with docker\'s message', async () => {
    assert.equal((await user.kiln(['run', '--name', 'stopped', image, 'true'])).status, 0);
    const refused = await user.kiln(['exec', 'stopped', 'true']);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /^Container [a-f0-9]{64} is not running\n/);
    assert.equal((await user.kiln(['rm', 'stopped'])).status, 0);
  });
});
