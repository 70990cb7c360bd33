// Running the host's networking tools (ip, iptables) and turning their failures into errors
// that say which command failed and what it printed.
import { execFile } from 'node:child_process';
import { KilnError } from '../util/errors.js';

export interface ExecResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a command and reports its exit status instead of throwing on a non-zero one. */
export function run(command: string, args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { encoding: 'utf8', maxBuffer: 4 << 20, env: options.env }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(
          new KilnError('FAILED_PRECONDITION', `cannot run ${command}: ${err.message}`, {
            hint: `install ${command} (Debian: apt-get install iproute2 iptables containernetworking-plugins)`,
            cause: err,
          }),
        );
        return;
      }
      resolve({ status: err ? Number(err.code) : 0, stdout, stderr });
    });
    child.stdin?.end(options.input);
  });
}

export async function runChecked(command: string, args: readonly string[]): Promise<string> {
  const result = await run(command, args);
  if (result.status !== 0) {
    throw new KilnError('INTERNAL', `${command} ${args.join(' ')} failed: ${result.stderr.trim() || `exit status ${result.status}`}`);
  }
  return result.stdout;
}
