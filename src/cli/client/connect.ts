// Reaching the daemon of a store root, starting it when nothing listens (the embedded default):
// kilnd is spawned detached, with the same node and loader flags as this process (so that it also
// works under `--import tsx`), its output appended to `<root>/kilnd.log`, and polled for until it
// serves. Of two clients starting daemons at once, one daemon wins the root's pid file and both
// clients end up on it. This module is on every daemon command's start-up path: it loads only
// node built-ins.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import type { DaemonAddress } from '../../api/host.js';
import { KilnError } from '../../util/errors.js';
import { daemonEntry, packageRoot } from '../../util/package-root.js';

const pollMs = 10;
const startTimeoutMs = 15_000;
const logTailLines = 10;

/** Whether something accepts connections on the socket. */
export function probe(socketPath: string): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

function logTail(logPath: string): string {
  const lines = readFileSync(logPath, 'utf8').trimEnd().split('\n');
  return lines.slice(-logTailLines).join('\n');
}

/** The pid in the root's pid file when that process lives: another daemon won the root. */
function liveOwner(root: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(root, 'kilnd.pid'), 'utf8'), 10);
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

function startDaemon(address: DaemonAddress): { logPath: string; exited: () => boolean } {
  const root = resolve(address.root);
  mkdirSync(root, { recursive: true });
  const logPath = join(root, 'kilnd.log');
  const log = openSync(logPath, 'a');
  const args = [...process.execArgv, daemonEntry(), '--root', root, '--host', `unix://${address.socketPath}`, '--embedded'];
  // The package's directory: it holds no user's files open, and loader flags (`--import tsx`)
  // resolve from it.
  const cwd = packageRoot();
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log], cwd });
  closeSync(log);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  child.once('error', () => {
    exited = true;
  });
  child.unref();
  return { logPath, exited: () => exited };
}

/** Resolves once a daemon serves `address`, starting one when none does. */
export async function ensureDaemon(address: DaemonAddress): Promise<void> {
  if (await probe(address.socketPath)) return;
  const started = startDaemon(address);
  const deadline = Date.now() + startTimeoutMs;
  while (!(await probe(address.socketPath))) {
    // Our daemon lost the race for the root to another one: wait for the winner to listen.
    if (started.exited() && liveOwner(resolve(address.root)) === undefined) {
      throw new KilnError('UNAVAILABLE', `the kiln daemon for ${address.root} could not start:\n${logTail(started.logPath)}`, {
        hint: `see ${started.logPath}`,
      });
    }
    if (Date.now() > deadline) {
      throw new KilnError('UNAVAILABLE', `the kiln daemon for ${address.root} did not start listening on ${address.socketPath} within ${startTimeoutMs / 1000} s`, {
        hint: `see ${started.logPath}`,
      });
    }
    await new Promise((done) => setTimeout(done, pollMs));
  }
}

/** The daemon's JSON error body as a KilnError, for a response that is not the one asked for. */
export async function responseError(res: IncomingMessage): Promise<KilnError> {
  const chunks: Buffer[] = [];
  for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    const body = JSON.parse(text) as { message?: string; code?: string; hint?: string };
    const code = (body.code ?? 'INTERNAL') as ConstructorParameters<typeof KilnError>[0];
    return new KilnError(code, body.message ?? `daemon answered ${res.statusCode ?? 0}`, body.hint === undefined ? {} : { hint: body.hint });
  } catch {
    return new KilnError('INTERNAL', `daemon answered ${res.statusCode ?? 0}: ${text.slice(0, 200)}`);
  }
}

/** An ordinary request to the daemon; the status and the body as text. */
export function daemonRequest(socketPath: string, method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request({ socketPath, method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end();
  });
}
