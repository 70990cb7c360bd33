// `kiln exec`: a command in a running container, run by the daemon of the store root (started
// when none runs; src/daemon/server/exec-route.ts), its output streamed to ours, stdin only with
// -i, a terminal with -t (ours in raw mode with -i, its size followed), detached with -d. The
// exit code is the command's; a command that cannot be found or run gives 127 / 126, kiln's own
// failures 1 as docker exec's. SIGINT / SIGTERM are passed on to the command.
import type { Command } from 'commander';
import type { ExecRequest } from '../../../api/exec.js';
import { envFileEntries, envOverrides } from '../../../daemon/containers/process.js';
import { execThroughDaemon } from '../../client/exec.js';
import { reportError } from '../../report.js';
import { daemonAddress } from '../../daemon-address.js';
import type { ProcessFlags } from './process-flags.js';
import { followedWindow, rawTerminal, refuseNonTerminalInput, type RawTerminal } from './tty.js';

export type ExecFlags = ProcessFlags;

function request(args: string[], flags: ExecFlags): ExecRequest {
  const envFile = flags.envFile.flatMap(envFileEntries);
  return {
    args, env: envOverrides({ env: flags.env, envFile }),
    detach: flags.detach === true, tty: flags.tty === true, interactive: flags.interactive === true && flags.detach !== true,
    ...(flags.workdir === undefined ? {} : { workingDir: flags.workdir }),
    ...(flags.user === undefined ? {} : { user: flags.user }),
  };
}

export async function runExec(command: Command, container: string, args: string[], flags: ExecFlags): Promise<void> {
  if (refuseNonTerminalInput(flags)) return;
  const attachStdin = flags.interactive === true && flags.detach !== true;
  let terminal: RawTerminal | undefined;
  try {
    const execRequest = request(args, flags);
    terminal = await rawTerminal({ ...flags, interactive: attachStdin });
    const window = flags.detach === true ? undefined : followedWindow(flags);
    const stdio = {
      stdout: process.stdout, stderr: process.stderr, created: terminal.enter,
      ...(attachStdin ? { stdin: process.stdin } : {}), ...(window === undefined ? {} : { window }),
    };
    process.exitCode = await execThroughDaemon(daemonAddress(command), container, execRequest, stdio);
  } catch (err) {
    const code = reportError(err, command.optsWithGlobals<{ debug?: boolean }>().debug === true);
    const status = (err as { exitStatus?: unknown } | undefined)?.exitStatus;
    process.exitCode = typeof status === 'number' ? status : code;
  } finally {
    terminal?.restore();
    // A stdin that was read from keeps the process alive; the command no longer needs it.
    if (attachStdin) process.stdin.destroy();
  }
}
