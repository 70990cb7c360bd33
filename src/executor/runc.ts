// Running one container to completion with runc, the way BuildKit's runcexecutor does:
// write the spec into a bundle, `runc run` it in the foreground with stdio piped, and clean
// up whatever happens — `runc delete --force` and the bundle's removal run on every path,
// success, failure or abort, so no container state, cgroup or bundle outlives the call.
//
// Exit codes are Docker's: runc exits with the container's status, and with 128+N when a
// signal ended the process. A failure of runc itself (bad spec, missing executable) is
// told apart from a container that exits 1 by runc's JSON log: runc logs it at level
// "error" before exiting. runc also prints that line on its stderr, which is piped to the
// caller's stderr as Docker's own "OCI runtime create failed" ends up in the client's.
//
// A container with a terminal (process.terminal) gets it as runc-console.ts tells: its output,
// stdout and stderr as one stream, arrives on io.stdout.
import { execFile, type ChildProcess } from 'node:child_process';
import { channel } from 'node:diagnostics_channel';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { removeMostlyEmpty } from '../snapshot/remove-tree.js';
import { KilnError, type ErrorCode } from '../util/errors.js';
import type { ConsoleSize } from './console-size.js';
import type { OCISpec } from './oci-spec.js';
import { runcBinary, spawnRunc } from './runc-console.js';

export interface RunIO {
  stdin?: Readable;
  stdout: Writable;
  stderr: Writable;
  /** With a terminal: its window size, which its client may change while it runs. */
  consoleSize?: ConsoleSize;
}

export interface RuncRunOptions {
  /** Container id, unique under `runcRoot`. */
  id: string;
  /** Created if missing, holds config.json and runc's log; removed afterwards with all it holds. */
  bundleDir: string;
  spec: OCISpec;
  io: RunIO;
  /** runc's state directory (`runc --root`). */
  runcRoot: string;
  /** Aborting kills the container (SIGKILL); the run then resolves with exit code 137. */
  signal?: AbortSignal;
  /**
   * Leave the bundle for the caller, who removes it with the directory it is in (a --rm
   * container's), off the path from the container's exit to the run's result.
   */
  keepBundle?: boolean;
}

export interface RunResult {
  exitCode: number;
  /** The signal name when the exit code is 128+N, Docker's convention for a killed process. */
  signal?: string;
}

/** runc's own rule for container ids. */
const validId = /^[\w+.-]+$/;
/** How long an abort keeps retrying `runc kill` before killing runc itself. */
const abortGraceMs = 10_000;
const runcCommandTimeoutMs = 30_000;

/** What runcRunLifetime publishes: runc's process starting, and its end (exit and stdio closed). */
export interface RuncLifetimeEvent {
  id: string;
  phase: 'spawn' | 'close';
}

/**
 * The diagnostics channel with the span of each `runc run` process, for tracing and for
 * bench/run-op.ts, which tells the engine's own work around a container start from runc's.
 * Nothing is published without a subscriber.
 */
export const runcLifetimeChannel = 'kiln:executor:runc-run';
const runcRunLifetime = channel(runcLifetimeChannel);

function publishLifetime(event: RuncLifetimeEvent): void {
  if (runcRunLifetime.hasSubscribers) runcRunLifetime.publish(event);
}

function checkOptions({ id, bundleDir, spec, runcRoot, signal }: RuncRunOptions): void {
  if (!validId.test(id)) throw new KilnError('INVALID_ARGUMENT', `invalid container id "${id}"`);
  if (!isAbsolute(bundleDir) || !isAbsolute(runcRoot)) {
    throw new KilnError('INVALID_ARGUMENT', 'the bundle and runc root directories must be absolute paths');
  }
  const inside = relative(bundleDir, spec.root.path);
  if (inside === '' || (!inside.startsWith('..') && !isAbsolute(inside))) {
    throw new KilnError('INVALID_ARGUMENT', `rootfs ${spec.root.path} is inside the bundle directory ${bundleDir}`, {
      hint: 'the bundle directory is removed after the run; keep the rootfs elsewhere',
    });
  }
  if (signal?.aborted) throw new KilnError('CANCELED', `run of container ${id} canceled before it started`);
}

async function runc(runcRoot: string, args: string[]): Promise<void> {
  await promisify(execFile)(runcBinary, ['--root', runcRoot, ...args], { timeout: runcCommandTimeoutMs });
}

export function stderrOf(err: unknown): string {
  const stderr = (err as { stderr?: unknown }).stderr;
  return typeof stderr === 'string' && stderr !== '' ? stderr.trim() : String(err);
}

/** Keeps sending SIGKILL until the container has gone: `runc kill` fails while it is still being created. */
async function killContainer(options: RuncRunOptions, child: ChildProcess, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + abortGraceMs;
  while (!exited()) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      return;
    }
    await runc(options.runcRoot, ['kill', options.id, 'KILL']).catch(() => undefined);
    await delay(20);
  }
}

/** Pipes io.stdin into runc's; the result undoes it once runc has ended. */
export function pipeStdin(io: RunIO, child: ChildProcess): () => void {
  const input = io.stdin;
  const target = child.stdin;
  if (input === undefined || target === null) return () => undefined;
  // The container may exit without reading all its input: that is not our error.
  target.on('error', () => undefined);
  input.pipe(target);
  return () => void input.unpipe(target);
}

export function waitForClose(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal }));
  });
}

function signalName(number: number): string | undefined {
  return Object.entries(constants.signals).find(([, value]) => value === number)?.[0];
}

export function toResult(code: number | null, signal: NodeJS.Signals | null): RunResult {
  const exitCode = code ?? 128 + (signal === null ? 0 : constants.signals[signal]);
  const name = exitCode > 128 ? signalName(exitCode - 128) : undefined;
  return name === undefined ? { exitCode } : { exitCode, signal: name };
}

export function startFailureCode(message: string): ErrorCode {
  if (/executable file not found|no such file or directory/.test(message)) return 'NOT_FOUND';
  if (/permission denied/.test(message)) return 'DENIED';
  return 'FAILED_PRECONDITION';
}

/** runc's own error, from its JSON log, when it failed rather than the container. */
async function runcFailure(logPath: string, id: string): Promise<KilnError | undefined> {
  const message = await runcLogError(logPath);
  return message === undefined ? undefined : new KilnError(startFailureCode(message), `container ${id}: ${message}`);
}

/** The first error runc logged (JSON log format), if any. */
export async function runcLogError(logPath: string): Promise<string | undefined> {
  const log = await readFile(logPath, 'utf8').catch(() => '');
  for (const line of log.split('\n')) {
    if (line === '') continue;
    const entry = JSON.parse(line) as { level?: string; msg?: string };
    if (entry.level === 'error' && entry.msg !== undefined) return entry.msg;
  }
  return undefined;
}

async function runContainer(options: RuncRunOptions, logPath: string): Promise<RunResult> {
  const { id, bundleDir, io, runcRoot, signal } = options;
  const args = ['--root', runcRoot, '--log', logPath, '--log-format', 'json', 'run', '--bundle', bundleDir, id];
  const terminal = options.spec.process.terminal;
  publishLifetime({ id, phase: 'spawn' });
  const { child, stderr } = spawnRunc(args, {
    stdin: io.stdin === undefined ? 'ignore' : 'pipe', output: 'pipe',
    ...(terminal ? { terminal, ...(io.consoleSize === undefined ? {} : { consoleSize: io.consoleSize }) } : {}),
  });
  let exited = false;
  const closed = waitForClose(child).finally(() => {
    exited = true;
    publishLifetime({ id, phase: 'close' });
  });
  child.stdout?.pipe(io.stdout, { end: false });
  stderr?.pipe(io.stderr, { end: false });
  const unpipeStdin = pipeStdin(io, child);
  const onAbort = (): void => void killContainer(options, child, () => exited);
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  try {
    const { code, signal: runcSignal } = await closed;
    // runc that fails exits non-zero: a clean exit has nothing in the log to look for.
    const failure = code === 0 ? undefined : await runcFailure(logPath, id);
    if (failure !== undefined) throw failure;
    return toResult(code, runcSignal);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    unpipeStdin();
  }
}

/**
 * Removes the container's runc state and the bundle. `runc run` deletes the state itself when
 * the container ends, so a `runc delete` (a process start, ~8 ms) is only needed when its state
 * directory is still there: runc was killed, or failed half-way.
 */
async function cleanup({ id, bundleDir, runcRoot, keepBundle }: RuncRunOptions): Promise<void> {
  let deleteFailure: KilnError | undefined;
  const stateLeft = existsSync(join(runcRoot, id));
  if (stateLeft) await runc(runcRoot, ['delete', '--force', id]).catch((err: unknown) => {
    const message = stderrOf(err);
    if (!/does not exist/.test(message)) {
      deleteFailure = new KilnError('INTERNAL', `runc delete of container ${id} failed: ${message}`, { cause: err });
    }
  });
  if (keepBundle !== true) await removeMostlyEmpty(bundleDir);
  if (deleteFailure !== undefined) throw deleteFailure;
}

export async function runcRun(options: RuncRunOptions): Promise<RunResult> {
  checkOptions(options);
  let result: RunResult | undefined;
  let failure: unknown;
  try {
    // A directory and a few KB, written synchronously: microseconds, where async calls would
    // add thread-pool round trips to every container start (see snapshot/remove-tree.ts).
    mkdirSync(options.bundleDir, { recursive: true });
    writeFileSync(join(options.bundleDir, 'config.json'), JSON.stringify(options.spec));
    result = await runContainer(options, join(options.bundleDir, 'runc.log'));
  } catch (err) {
    failure = err;
  }
  try {
    await cleanup(options);
  } catch (err) {
    failure ??= err;
  }
  if (result === undefined || failure !== undefined) throw failure;
  return result;
}
