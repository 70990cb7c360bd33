// `kiln exec`: a command in a running container, its output streamed to ours, stdin only with
// -i, a terminal with -t (the CLI's own when -i and stdin is one), detached with -d. The exit
// code is the command's; a command that cannot be found or run gives 127 / 126, kiln's own
// failures 1 as docker exec's. SIGINT / SIGTERM are passed on to the command through runc.
import type { Command } from 'commander';
import { ExecStartError, execInContainer, type ExecOptions } from '../../../daemon/containers/exec.js';
import { envFileEntries, envOverrides } from '../../../daemon/containers/process.js';
import type { RunIO } from '../../../executor/index.js';
import { reportError } from '../../report.js';
import { withEngine } from '../image/context.js';
import type { ProcessFlags } from './process-flags.js';
import { refuseNonTerminalInput } from './tty.js';

export type ExecFlags = ProcessFlags;

async function options(args: string[], flags: ExecFlags): Promise<ExecOptions> {
  const envFile = flags.envFile.flatMap(envFileEntries);
  return {
    args, env: envOverrides({ env: flags.env, envFile }),
    detach: flags.detach === true, tty: flags.tty === true, interactive: flags.interactive === true,
    ...(flags.workdir === undefined ? {} : { workingDir: flags.workdir }),
    ...(flags.user === undefined ? {} : { user: flags.user }),
  };
}

/** With -it on a terminal, runc reads it itself (raw mode, resizes); otherwise stdin is piped. */
function execIO(flags: ExecFlags): RunIO {
  const io: RunIO = { stdout: process.stdout, stderr: process.stderr };
  if (flags.interactive !== true || flags.detach === true) return io;
  return { ...io, stdin: flags.tty === true ? 'inherit' : process.stdin };
}

export async function runExec(command: Command, container: string, args: string[], flags: ExecFlags): Promise<void> {
  if (refuseNonTerminalInput(flags)) return;
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  process.on('SIGINT', abort);
  process.on('SIGTERM', abort);
  try {
    const execOptions = await options(args, flags);
    process.exitCode = await withEngine(command, (engine) => execInContainer(engine, container, execOptions, execIO(flags), controller.signal));
  } catch (err) {
    const code = reportError(err, command.optsWithGlobals<{ debug?: boolean }>().debug === true);
    process.exitCode = err instanceof ExecStartError ? err.exitStatus : code;
  } finally {
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
    // A piped stdin that was read from keeps the process alive; the command no longer needs it.
    if (flags.interactive === true && flags.tty !== true) process.stdin.destroy();
  }
}
