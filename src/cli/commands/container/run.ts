// `kiln run`: the container's stdout and stderr stream to ours, stdin only with -i. The exit
// code is the container's; kiln's own failures exit 125 and a command that cannot be found or
// run 127 / 126, as docker run does. SIGINT / SIGTERM while it runs kill the container, and
// kiln then exits with the container's code (137).
//
// Without -d and -t the run goes through the daemon of the store root (started when none runs);
// this path loads only the client, not the engine. -d and -t still run in-process.
import type { Command } from 'commander';
import { envFileEntries, expandEntries } from '../../../daemon/containers/process.js';
import type { RunOptions } from '../../../daemon/containers/run.js';
import type { ImageEngine } from '../../../daemon/images/engine.js';
import { resolveDaemonAddress } from '../../../api/host.js';
import { runThroughDaemon } from '../../client/run.js';
import { reportError } from '../../report.js';
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
  };
}

/**
 * docker run's status for a failure: 126 / 127 when the container's command could not be run
 * (ContainerStartError in-process, the daemon's report otherwise), else 125.
 */
function exitStatusOf(err: unknown): number {
  const status = (err as { exitStatus?: unknown } | undefined)?.exitStatus;
  return typeof status === 'number' ? status : runFailureExitCode;
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
    if (flags.detach !== true && flags.tty !== true) {
      const { root, host } = command.optsWithGlobals<{ root?: string; host?: string }>();
      const address = resolveDaemonAddress({ ...(root === undefined ? {} : { root }), ...(host === undefined ? {} : { host }) });
      const stdio = { stdout: process.stdout, stderr: process.stderr, ...(flags.interactive === true ? { stdin: process.stdin } : {}) };
      process.exitCode = await runThroughDaemon(address, runOptions, stdio);
      return;
    }
    // -it on a terminal: runc reads it itself, in raw mode, and follows its window size.
    const stdin = flags.tty === true ? 'inherit' as const : process.stdin;
    const io = { stdout: process.stdout, stderr: process.stderr, ...(flags.interactive === true ? { stdin } : {}) };
    const { withEngine } = await import('../image/context.js');
    const { runContainer } = await import('../../../daemon/containers/run.js');
    process.exitCode = await withEngine(command, async (engine: ImageEngine) => flags.detach === true
      ? (await import('./run-detached.js')).runDetached(engine, runOptions)
      : forwardingSignals(controller, () => runContainer(engine, runOptions, io, controller.signal)));
  } catch (err) {
    const debug = command.optsWithGlobals<{ debug?: boolean }>().debug === true;
    reportError(err, debug);
    process.exitCode = exitStatusOf(err);
  } finally {
    // A stdin that was read from keeps the process alive; the container no longer needs it.
    if (flags.interactive === true && flags.tty !== true) process.stdin.destroy();
  }
}
