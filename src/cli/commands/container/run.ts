// `kiln run`: the container's stdout and stderr stream to ours, stdin only with -i. The exit
// code is the container's; kiln's own failures exit 125 and a command that cannot be found or
// run 127 / 126, as docker run does. SIGINT / SIGTERM while it runs kill the container, and
// kiln then exits with the container's code (137).
import type { Command } from 'commander';
import { envFileEntries } from '../../../daemon/containers/process.js';
import { ContainerStartError, runContainer, type RunOptions } from '../../../daemon/containers/run.js';
import { reportError } from '../../report.js';
import { withEngine } from '../image/context.js';
import type { ProcessFlags } from './process-flags.js';
import { refuseNonTerminalInput } from './tty.js';

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
}

/** docker run's exit status for a failure of docker itself. */
const runFailureExitCode = 125;

async function options(image: string, args: string[], flags: RunFlags): Promise<RunOptions> {
  const envFile = (await Promise.all(flags.envFile.map(envFileEntries))).flat();
  return {
    image, args, env: flags.env, envFile, network: flags.network, publish: flags.publish, volumes: flags.volume, mounts: flags.mount,
    autoRemove: flags.rm === true, interactive: flags.interactive === true, tty: flags.tty === true,
    ...(flags.workdir === undefined ? {} : { workingDir: flags.workdir }),
    ...(flags.user === undefined ? {} : { user: flags.user }),
    ...(flags.entrypoint === undefined ? {} : { entrypoint: flags.entrypoint }),
    ...(flags.name === undefined ? {} : { name: flags.name }),
    ...(flags.memory === undefined ? {} : { memory: flags.memory }),
    ...(flags.cpus === undefined ? {} : { cpus: flags.cpus }),
    ...(flags.stopSignal === undefined ? {} : { stopSignal: flags.stopSignal }),
    ...(flags.stopTimeout === undefined ? {} : { stopTimeout: flags.stopTimeout }),
  };
}

/** Runs `work` with SIGINT and SIGTERM turned into an abort of `controller`. */
async function forwardingSignals<T>(controller: AbortController, work: () => Promise<T>): Promise<T> {
  const abort = (): void => controller.abort();
  process.on('SIGINT', abort);
  process.on('SIGTERM', abort);
  try {
    return await work();
  } finally {
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
  }
}

export async function runRun(command: Command, image: string, args: string[], flags: RunFlags): Promise<void> {
  if (refuseNonTerminalInput(flags)) return;
  const controller = new AbortController();
  try {
    const runOptions = await options(image, args, flags);
    // -it on a terminal: runc reads it itself, in raw mode, and follows its window size.
    const stdin = flags.tty === true ? 'inherit' as const : process.stdin;
    const io = { stdout: process.stdout, stderr: process.stderr, ...(flags.interactive === true ? { stdin } : {}) };
    process.exitCode = await withEngine(command, async (engine) => flags.detach === true
      ? (await import('./run-detached.js')).runDetached(engine, runOptions)
      : forwardingSignals(controller, () => runContainer(engine, runOptions, io, controller.signal)));
  } catch (err) {
    const debug = command.optsWithGlobals<{ debug?: boolean }>().debug === true;
    reportError(err, debug);
    process.exitCode = err instanceof ContainerStartError ? err.exitStatus : runFailureExitCode;
  } finally {
    // A stdin that was read from keeps the process alive; the container no longer needs it.
    if (flags.interactive === true && flags.tty !== true) process.stdin.destroy();
  }
}
