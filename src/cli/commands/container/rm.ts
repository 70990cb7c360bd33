// `kiln rm` through the daemon: each container by name, ID or unique ID prefix; its name (as
// given) is printed once it is gone. Like docker, a failure on one does not stop the others,
// and the command fails at the end if any did.
import type { Command } from 'commander';
import { removeContainer } from '../../client/containers.js';
import { reportError } from '../../report.js';
import { daemonAddress } from '../../daemon-address.js';

export async function runRm(command: Command, names: string[], flags: { force?: boolean; volumes?: boolean }): Promise<void> {
  const debug = command.optsWithGlobals<{ debug?: boolean }>().debug === true;
  const address = daemonAddress(command);
  let failed = false;
  for (const name of names) {
    try {
      await removeContainer(address, name, { force: flags.force === true, volumes: flags.volumes === true });
      process.stdout.write(`${name}\n`);
    } catch (err) {
      reportError(err, debug);
      failed = true;
    }
  }
  if (failed) process.exitCode = 1;
}
