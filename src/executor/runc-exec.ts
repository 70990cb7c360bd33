// Running one more process in a running container: `runc exec --process` with the process
// JSON in a file that is unlinked as soon as runc has been started with it open as descriptor
// 3 (read as /proc/self/fd/3; a pipe there would be a socket, which /proc cannot reopen), so
// no file is left to clean up whatever happens. runc exec in the foreground exits with the process's status
// (128+N for a signal); a failure to start it is told apart through runc's JSON log, as for
// runcRun. With `detach`, runc exec -d returns once the process runs, its stdio /dev/null.
//
// A detached exec with a terminal cannot use runc -d (it then needs a --console-socket), so
// runc runs in the foreground under script(1), in a session of its own that outlives this
// process; nothing waits for it, and its start failure is not seen here.
import { randomBytes } from 'node:crypto';
import { open, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../util/errors.js';
import type { OCIProcess } from './oci-spec.js';
import { pipeStdin, runcLogError, startFailureCode, stderrOf, toResult, waitForClose, type RunIO, type RunResult } from './runc.js';
import { spawnRunc } from './runc-console.js';

export interface RuncExecOptions {
  /** The running container's id under `runcRoot`. */
  id: string;
  runcRoot: string;
  process: OCIProcess;
  io: RunIO;
  /** Return once the process has started, leaving it running. */
  detach?: boolean;
  /** A directory for runc's log of this exec, removed again once read. */
  logDir: string;
  /** Aborting sends SIGTERM to runc, which forwards it to the process. */
  signal?: AbortSignal;
}

const processFd = 3;

function execArgs(options: RuncExecOptions, logPath: string, detach: boolean): string[] {
  return [
    '--root', options.runcRoot, '--log', logPath, '--log-format', 'json', 'exec',
    '--process', `/proc/self/fd/${processFd}`, ...(detach ? ['--detach'] : []), options.id,
  ];
}

/** Runs `start` with the process JSON open on a descriptor; the file is gone once it returns. */
async function withProcessFile<T>(options: RuncExecOptions, start: (fd: number) => T): Promise<T> {
  const path = join(options.logDir, `exec-${randomBytes(8).toString('hex')}.json`);
  try {
    await writeFile(path, JSON.stringify(options.process), { mode: 0o600 });
    const file = await open(path, 'r');
    try {
      return start(file.fd);
    } finally {
      await file.close();
    }
  } finally {
    await rm(path, { force: true });
  }
}

/** docker's wording for an exec that could not start, with its 126/127 classification. */
function execFailure(message: string): KilnError {
  return new KilnError(startFailureCode(message), `OCI runtime exec failed: ${message}`);
}

async function detachedTerminal(options: RuncExecOptions): Promise<RunResult> {
  const { child, spawned } = await withProcessFile(options, (fd) => {
    const started = spawnRunc(execArgs(options, '/dev/null', false), {
      stdin: 'ignore', output: 'ignore', terminal: true, extraFds: [fd], detached: true,
    });
    return {
      ...started,
      spawned: new Promise<void>((resolve, reject) => {
        started.child.once('spawn', resolve);
        started.child.once('error', reject);
      }),
    };
  });
  await spawned;
  child.unref();
  return { exitCode: 0 };
}

async function execute(options: RuncExecOptions, logPath: string): Promise<RunResult> {
  const { io, signal } = options;
  const detach = options.detach ?? false;
  const terminal = options.process.terminal && !detach;
  const { child, stderr, closed, kill } = await withProcessFile(options, (fd) => {
    const started = spawnRunc(execArgs(options, logPath, detach), {
      stdin: detach || io.stdin === undefined ? 'ignore' : 'pipe', output: detach ? 'ignore' : 'pipe', extraFds: [fd],
      ...(terminal ? { terminal, ...(io.consoleSize === undefined ? {} : { consoleSize: io.consoleSize }) } : {}),
    });
    // Listening at once: a spawn failure is emitted before the file is closed and removed.
    return { ...started, closed: waitForClose(started.child) };
  });
  let errorText = '';
  child.stdout?.pipe(io.stdout, { end: false });
  if (detach) stderr?.setEncoding('utf8').on('data', (text: string) => (errorText += text));
  else stderr?.pipe(io.stderr, { end: false });
  const unpipeStdin = pipeStdin(io, child);
  const onAbort = (): void => void kill('SIGTERM');
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const { code, signal: runcSignal } = await closed;
    const failure = await runcLogError(logPath);
    if (failure !== undefined) throw execFailure(failure);
    if (detach && code !== 0) throw new KilnError('FAILED_PRECONDITION', `runc exec in container ${options.id} failed: ${errorText.trim() || `exit status ${code ?? runcSignal}`}`);
    return toResult(code, runcSignal);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    unpipeStdin();
  }
}

/** Runs `process` in the running container `id`; the result is the process's exit (0 when detached). */
export async function runcExec(options: RuncExecOptions): Promise<RunResult> {
  if (options.signal?.aborted) throw new KilnError('CANCELED', `exec in container ${options.id} canceled before it started`);
  if (options.detach === true && options.process.terminal) return detachedTerminal(options);
  const logPath = join(options.logDir, `exec-${randomBytes(8).toString('hex')}.log`);
  try {
    return await execute(options, logPath);
  } catch (err) {
    if (err instanceof KilnError) throw err;
    throw new KilnError('INTERNAL', `runc exec in container ${options.id} failed: ${stderrOf(err)}`, { cause: err });
  } finally {
    await rm(logPath, { force: true });
  }
}
