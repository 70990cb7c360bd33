// `kiln stop`, `kill` and `wait`: each container by name or ID, docker's output (the name as
// given, or the exit code for wait); a failure on one does not stop the others, and the
// command fails at the end if any did.
import type { Command } from 'commander';
import { killContainer, stopContainer, waitContainer } from '../../../daemon/containers/lifecycle.js';
import { parseSignal } from '../../../daemon/containers/signals.js';
import type { ImageEngine } from '../../../daemon/images/engine.js';
import { flagError, reportError } from '../../report.js';
import { withEngine } from '../image/context.js';

async function eachContainer(command: Command, names: string[], act: (engine: ImageEngine, name: string) => Promise<string>): Promise<void> {
  const debug = command.optsWithGlobals<{ debug?: boolean }>().debug === true;
  let failed = false;
  await withEngine(command, async (engine) => {
    for (const name of names) {
      try {
        process.stdout.write(`${await act(engine, name)}\n`);
      } catch (err) {
        reportError(err, debug);
        failed = true;
      }
    }
  });
  if (failed) process.exitCode = 1;
}

export async function runStop(command: Command, names: string[], flags: { time?: string }): Promise<void> {
  // Without -t, each container's own --stop-timeout (or docker's 10 seconds) applies.
  const seconds = flags.time === undefined ? undefined : Number(flags.time);
  if (seconds !== undefined && (!Number.isInteger(seconds) || seconds < 0)) throw flagError('--time', `invalid argument "${flags.time}": not a whole number of seconds`);
  await eachContainer(command, names, async (engine, name) => {
    await stopContainer(engine, name, seconds);
    return name;
  });
}

export async function runKill(command: Command, names: string[], flags: { signal?: string }): Promise<void> {
  const signal = parseSignal(flags.signal ?? 'KILL');
  await eachContainer(command, names, async (engine, name) => {
    await killContainer(engine, name, signal);
    return name;
  });
}

export async function runWait(command: Command, names: string[]): Promise<void> {
  await eachContainer(command, names, async (engine, name) => String(await waitContainer(engine, name)));
}
