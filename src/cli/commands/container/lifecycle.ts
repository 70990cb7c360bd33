// `kiln stop`, `kill` and `wait` through the daemon: each container by name or ID, docker's
// output (the name as given, or the exit code for wait); a failure on one does not stop the
// others, and the command fails at the end if any did.
import type { Command } from 'commander';
import type { DaemonAddress } from '../../../api/host.js';
import { parseSignal } from '../../../daemon/containers/signals.js';
import { killContainer, stopContainer, waitContainer } from '../../client/containers.js';
import { flagError, reportError } from '../../report.js';
import { daemonAddress } from '../../daemon-address.js';

async function eachContainer(command: Command, names: string[], act: (address: DaemonAddress, name: string) => Promise<string>): Promise<void> {
  const debug = command.optsWithGlobals<{ debug?: boolean }>().debug === true;
  const address = daemonAddress(command);
  let failed = false;
  for (const name of names) {
    try {
      process.stdout.write(`${await act(address, name)}\n`);
    } catch (err) {
      reportError(err, debug);
      failed = true;
    }
  }
  if (failed) process.exitCode = 1;
}

export async function runStop(command: Command, names: string[], flags: { time?: string }): Promise<void> {
  // Without -t, each container's own --stop-timeout (or docker's 10 seconds) applies.
  const seconds = flags.time === undefined ? undefined : Number(flags.time);
  if (seconds !== undefined && (!Number.isInteger(seconds) || seconds < 0)) throw flagError('--time', `invalid argument "${flags.time}": not a whole number of seconds`);
  await eachContainer(command, names, async (address, name) => {
    await stopContainer(address, name, seconds);
    return name;
  });
}

export async function runKill(command: Command, names: string[], flags: { signal?: string }): Promise<void> {
  const signal = parseSignal(flags.signal ?? 'KILL');
  await eachContainer(command, names, async (address, name) => {
    await killContainer(address, name, signal);
    return name;
  });
}

export async function runWait(command: Command, names: string[]): Promise<void> {
  await eachContainer(command, names, async (address, name) => String(await waitContainer(address, name)));
}
