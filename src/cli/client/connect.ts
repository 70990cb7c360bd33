// Reaching the daemon of a store root, starting it when nothing listens (the embedded default):
// kilnd is spawned detached, with the same node and loader flags as this process (so that it also
// works under `--import tsx`), its output appended to `<root>/kilnd.log`, and polled for until it
// serves. Of two clients starting daemons at once, one daemon wins the root's pid file and both
// clients end up on it. This module is on every daemon command's start-up path: it loads only
// node built-ins (node:child_process only when a daemon is to be started), and the connection
// that finds the daemon is the one the request goes on.
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { pidFileOf, type DaemonAddress } from '../../api/host.js';
import { KilnError } from '../../util/errors.js';
import { daemonEntry, packageRoot } from '../../util/package-root.js';
import { dial } from './wire.js';
import { processAlive } from '../../util/process-alive.js';

const pollMs = 10;
const startTimeoutMs = 15_000;
const logTailLines = 10;

function logTail(logPath: string): string {
  const lines = readFileSync(logPath, 'utf8').trimEnd().split('\n');
  return lines.slice(-logTailLines).join('\n');
}

/** The pid in the root's pid file when that process lives: another daemon won the root. */
function liveOwner(root: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(pidFileOf(root), 'utf8'), 10);
    return processAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function startDaemon(address: DaemonAddress): Promise<{ logPath: string; exited: () => boolean }> {
  const { spawn } = await import('node:child_process');
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

/** A connection to the daemon serving `address`, starting one when none does. */
export async function ensureDaemon(address: DaemonAddress): Promise<Socket> {
  const running = await dial(address.socketPath);
  if (running !== undefined) return running;
  const started = await startDaemon(address);
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    const socket = await dial(address.socketPath);
    if (socket !== undefined) return socket;
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
