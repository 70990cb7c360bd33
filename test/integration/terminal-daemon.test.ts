// `kiln exec` and `kiln run -t` go through kilnd (its log shows their native requests), and a
// terminal there behaves as one at hand: the client's window size is the container's from the
// start and follows each change of it (SIGWINCH), for kiln and for the docker CLI's resize
// requests alike, ^C typed at an -it terminal reaches the container's process as SIGINT, and the
// client's terminal is as it was afterwards. Bad requests to the new endpoints get JSON errors.
// Each client runs under util-linux script(1), which gives it a real pty.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kilnCommand } from '../helpers/cli.js';
import { canRunContainers, tool, type ContainerUser } from '../helpers/kiln-env.js';
import { dockerClients, startKilnd } from '../helpers/kilnd.js';
import { tempDir } from '../helpers/tmp.js';

const started = canRunContainers ? await startKilnd('tty-daemon') : undefined;
after(() => started?.stop());
const name = 'tty-target';
/** Bind-mounted into the containers, for them to tell the test they are ready for a resize. */
const shared = await tempDir('tty-daemon-shared');
const resized = 'start 40 100\r\nnow 50 120\r\n';

function quote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/** `kiln --host DAEMON ARGS` as a shell line. */
function kilnLine(args: string[]): string {
  const { command, args: argv } = kilnCommand(['--host', `unix://${started?.socket ?? ''}`, ...args]);
  return [command, ...argv].map(quote).join(' ');
}

function dockerLine(args: string[]): string {
  return ['env', `DOCKER_HOST=unix://${started?.socket ?? ''}`, `DOCKER_CONFIG=${join(started?.root ?? '', 'docker-config')}`, dockerClients[0]!.path, ...args].map(quote).join(' ');
}

/** A plain POST to the daemon: its status and JSON body. */
function post(socketPath: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const text = body === undefined ? '' : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method: 'POST', path, headers: { 'Content-Length': Buffer.byteLength(text) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

/** `line` in a fresh pty of 40 rows and 100 columns. */
async function inPty(line: string): Promise<{ status: number; stdout: string }> {
  const { status, stdout } = await tool('script', ['-qec', `stty rows 40 cols 100; ${line}`, '/dev/null']);
  return { status, stdout };
}

/**
 * A container command that waits until its terminal is 40x100, says so and leaves `marker` in the
 * shared directory, then waits until it is 50x120 (the client's pty resized from outside).
 */
function followsResize(marker: string): string {
  return [
    'n=0; until [ "$(stty size 2>/dev/null)" = "40 100" ] || [ $n -gt 100 ]; do sleep 0.1; n=$((n+1)); done; echo "start $(stty size)"',
    `touch /shared/${marker}`,
    'n=0; until [ "$(stty size 2>/dev/null)" = "50 120" ] || [ $n -gt 100 ]; do sleep 0.1; n=$((n+1)); done; echo "now $(stty size)"',
  ].join('; ');
}

/** `client` in a 40x100 pty that becomes 50x120 once the container has left `marker`. */
function resizedInPty(marker: string, client: string): Promise<{ status: number; stdout: string }> {
  const resizer = `(until [ -e ${quote(join(shared, marker))} ]; do sleep 0.05; done; stty rows 50 cols 120 </dev/tty) & `;
  return inPty(`${resizer}${client}`);
}

describe('terminals and exec through kilnd', { skip: canRunContainers ? false : 'needs root for mounts and runc' }, () => {
  const viaHost = (args: string[]): ReturnType<ContainerUser['kiln']> => started!.user.kiln(['--host', `unix://${started!.socket}`, ...args]);

  before(async () => {
    const ran = await viaHost(['run', '-d', '--name', name, '-v', `${shared}:/shared`, 'busybox:1', 'sleep', '300']);
    assert.equal(ran.status, 0, ran.stderr);
  });

  after(async () => {
    assert.equal((await viaHost(['rm', '-f', name])).status, 0);
  });

  it('serves kiln exec and run -t with its native requests', async () => {
    const exec = await inPty(kilnLine(['exec', name, 'sh', '-c', 'echo exec-out; exit 3']));
    assert.deepEqual([exec.status, exec.stdout], [3, 'exec-out\r\n']);
    const tty = await inPty(kilnLine(['run', '--rm', '-t', 'busybox:1', 'sh', '-c', 'tty; exit 4']));
    assert.equal(tty.status, 4);
    // Without -i ours is not made raw (as docker's is not): its own output processing adds a \r.
    assert.match(tty.stdout, /^\/dev\/pts\/\d+\r\r\n$/);
    const log = started?.log() ?? '';
    assert.match(log, /"path":"\/kiln\/v1\/containers\/tty-target\/exec","status":101/);
    // The run's terminal starts with the client's size.
    assert.match(log, /"path":"\/kiln\/v1\/containers\/run\?h=40&w=100","status":101/);
  });

  it('gives run -it the client\'s window size and follows it', async () => {
    const ran = await resizedInPty('run', kilnLine(['run', '--rm', '-it', '-v', `${shared}:/shared`, 'busybox:1', 'sh', '-c', followsResize('run')]));
    assert.deepEqual([ran.status, ran.stdout], [0, resized]);
    assert.match(started?.log() ?? '', /"path":"\/kiln\/v1\/containers\/[0-9a-f]{64}\/resize\?h=50&w=120","status":204/);
  });

  it('gives exec -it the client\'s window size and follows it', async () => {
    const ran = await resizedInPty('exec', kilnLine(['exec', '-it', name, 'sh', '-c', followsResize('exec')]));
    assert.deepEqual([ran.status, ran.stdout], [0, resized]);
    assert.match(started?.log() ?? '', /"path":"\/kiln\/v1\/exec\/[0-9a-f]{64}\/resize\?h=50&w=120","status":204/);
  });

  it('resizes for the docker CLI too, a run\'s terminal and an exec\'s', async () => {
    const run = await resizedInPty('docker-run', dockerLine(['run', '--rm', '-it', '-v', `${shared}:/shared`, 'busybox:1', 'sh', '-c', followsResize('docker-run')]));
    assert.deepEqual([run.status, run.stdout], [0, resized]);
    const exec = await resizedInPty('docker-exec', dockerLine(['exec', '-it', name, 'sh', '-c', followsResize('docker-exec')]));
    assert.deepEqual([exec.status, exec.stdout], [0, resized]);
  });

  it('leaves the client\'s terminal as it found it', async () => {
    const line = `saved=$(stty -g); ${kilnLine(['run', '--rm', '-it', 'busybox:1', 'true'])}; [ "$(stty -g)" = "$saved" ] && echo restored`;
    const ran = await inPty(line);
    assert.deepEqual([ran.status, ran.stdout], [0, 'restored\r\n']);
  });

  it('answers bad resize, kill and exec requests with JSON errors', async () => {
    const socket = started?.socket ?? '';
    const resize = await post(socket, `/kiln/v1/containers/${name}/resize?h=-1&w=80`);
    assert.deepEqual([resize.status, resize.body['code']], [400, 'INVALID_ARGUMENT']);
    const noTerminal = await post(socket, `/kiln/v1/containers/${name}/resize?h=24&w=80`);
    assert.deepEqual([noTerminal.status, noTerminal.body['code']], [409, 'CONFLICT']);
    const unknownExec = await post(socket, '/kiln/v1/exec/0123/kill');
    assert.deepEqual([unknownExec.status, unknownExec.body['code']], [404, 'NOT_FOUND']);
    const notUpgraded = await post(socket, `/kiln/v1/containers/${name}/exec`, { args: ['true'] });
    assert.deepEqual([notUpgraded.status, notUpgraded.body['code']], [400, 'INVALID_ARGUMENT']);
  });

  it('sends a ^C typed at run -it to the container\'s process', async () => {
    const line = kilnLine(['run', '--rm', '-it', 'busybox:1', 'sh', '-c', 'trap "echo interrupted; exit 7" INT; echo ready; while :; do sleep 0.1; done']);
    const child = spawn('script', ['-qec', line, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const ready = !output.includes('ready');
      output += chunk.toString();
      if (ready && output.includes('ready')) child.stdin.write('\x03');
    });
    const [status] = await once(child, 'exit') as [number | null];
    child.stdin.destroy();
    assert.equal(status, 7, output);
    // The container's terminal echoes the ^C, as at a terminal of its own.
    assert.match(output, /^ready\r\n\^Cinterrupted\r\n$/);
  });
});
