// Runs the real `kiln` CLI in a child process, as a user would, and captures its output.
// runKiln blocks (fine for commands that need nothing from the test process); runKilnAsync
// lets the test process keep serving (a fault proxy in-process), set the environment, pipe
// stdin, time out, or kill the child midway.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
/** tsx by its own path: `--import tsx` would look for it from the child's working directory. */
const tsx = import.meta.resolve('tsx');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runKiln(args: string[], options: { input?: string; cwd?: string } = {}): CliResult {
  const result = spawnSync(process.execPath, ['--import', tsx, main, ...args], {
    input: options.input,
    cwd: options.cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface AsyncCliOptions {
  /** Written to stdin, then stdin is closed; without it stdin is closed at once. */
  input?: string | Buffer;
  cwd?: string;
  /** Added to the test process's environment. */
  env?: NodeJS.ProcessEnv;
  /** SIGKILL the child after this many milliseconds; default 60 s. */
  timeoutMs?: number;
  /** Called once the child is spawned, e.g. to kill it midway. */
  onSpawn?: (child: ChildProcess) => void;
}

export interface AsyncCliResult extends CliResult {
  /** The signal that ended the child (a kill or the timeout), if any. */
  signal: NodeJS.Signals | null;
  /** stdout as bytes, for binary output such as `kiln save`. */
  stdoutBytes: Buffer;
}

/** The command line that runs kiln, for tests that wire processes together themselves. */
export function kilnCommand(args: string[]): { command: string; args: string[] } {
  return { command: process.execPath, args: ['--import', tsx, main, ...args] };
}

export function runKilnAsync(args: string[], options: AsyncCliOptions = {}): Promise<AsyncCliResult> {
  const { command, args: argv } = kilnCommand(args);
  const child = spawn(command, argv, {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  // A child that exits without reading its stdin must not fail the test with EPIPE.
  child.stdin.on('error', () => undefined);
  child.stdin.end(options.input);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  options.onSpawn?.(child);
  return new Promise((resolve, reject) => {
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      const bytes = Buffer.concat(stdout);
      resolve({ status, signal, stdout: bytes.toString('utf8'), stdoutBytes: bytes, stderr: Buffer.concat(stderr).toString('utf8') });
    });
  });
}
