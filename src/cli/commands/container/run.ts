// `kiln run`: the container's stdout and stderr stream to ours, stdin only with -i. The exit
// code is the container's; kiln's own failures exit 125 and a command that cannot be found or
// run 127 / 126, as docker run does. SIGINT / SIGTERM while it runs kill the container, and
// kiln then exits with the container's code (137).
//
// The run goes through the daemon of the store root (started when none runs), which supervises a
// detached (-d) container itself; this path loads only the client, not the engine. With -t the
// container's terminal is the daemon's, fed by ours (tty.ts).
import type { Command } from 'commander';
import { envFileEntries, expandEntries } from '../../../daemon/containers/process.js';
import type { RunOptions } from '../../../daemon/containers/run.js';
import { runThroughDaemon } from '../../client/run.js';
import { reportError } from '../../report.js';
import { daemonAddress } from '../../daemon-address.js';
import type { ProcessFlags } from './process-flags.js';
import { followedWindow, rawTerminal, refuseNonTerminalInput, type RawTerminal } from './tty.js';

export interface RunFlags extends ProcessFlags {
  rm?: boolean;
  entrypoint?: string;
  name?: string;
  network: string;
  publish: string[];
  volume: string[];
  mount: string[];
  memory?: string;
  cpus?: string;
  stopSignal?: string;
  stopTimeout?: string;
  restart?: string;
}

/** docker run's exit status for a failure of docker itself. */
const runFailureExitCode = 125;

async function options(image: string, args: string[], flags: RunFlags): Promise<RunOptions> {
  const envFile = flags.envFile.flatMap(envFileEntries);
  return {
    image, args, env: expandEntries(flags.env, '--env'), envFile: expandEntries(envFile, '--env-file'), network: flags.network, publish: flags.publish, volumes: flags.volume, mounts: flags.mount,
    autoRemove: flags.rm === true, interactive: flags.interactive === true, tty: flags.tty === true,
    ...(flags.workdir === undefined ? {} : { workingDir: flags.workdir }),
    ...(flags.user === undefined ? {} : { user: flags.user }),
    ...(flags.entrypoint === undefined ? {} : { entrypoint: flags.entrypoint }),
    ...(flags.name === undefined ? {} : { name: flags.name }),
    ...(flags.memory === undefined ? {} : { memory: flags.memory }),
    ...(flags.cpus === undefined ? {} : { cpus: flags.cpus }),
    ...(flags.stopSignal === undefined ? {} : { stopSignal: flags.stopSignal }),
    ...(flags.stopTimeout === undefined ? {} : { stopTimeout: flags.stopTimeout }),
    ...(flags.restart === undefined ? {} : { restart: flags.restart }),
  };
}

/** docker run's status for a failure: the daemon's (126 / 127 when the command could not be run), else 125. */
function exitStatusOf(err: unknown): number {
  const status = (err as { exitStatus?: unknown } | undefined)?.exitStatus;
  return typeof status === 'number' ? status : runFailureExitCode;
}

export async function runRun(command: Command, image: string, args: string[], flags: RunFlags): Promise<void> {
  if (refuseNonTerminalInput(flags)) return;
  let terminal: RawTerminal | undefined;
  try {
    const runOptions = await options(image, args, flags);
    if (flags.detach === true) {
      process.exitCode = await (await import('./run-detached.js')).runDetached(command, runOptions);
      return;
    }
    terminal = await rawTerminal(flags);
    const window = followedWindow(flags);
    const stdio = {
      stdout: process.stdout, stderr: process.stderr, created: terminal.enter,
      ...(flags.interactive === true ? { stdin: process.stdin } : {}), ...(window === undefined ? {} : { window }),
    };
    process.exitCode = await runThroughDaemon(daemonAddress(command), runOptions, stdio);
  } catch (err) {
    const debug = command.optsWithGlobals<{ debug?: boolean }>().debug === true;
    reportError(err, debug);
    process.exitCode = exitStatusOf(err);
  } finally {
    terminal?.restore();
    // A stdin that was read from keeps the process alive; the container no longer needs it.
    if (flags.interactive === true && flags.detach !== true) process.stdin.destroy();
  }
}
