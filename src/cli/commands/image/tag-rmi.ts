// `kiln tag SOURCE TARGET` and `kiln rmi IMAGE...` through the daemon, with docker's output lines.
import type { Command } from 'commander';
import { familiarName, parseReference } from '../../../registry/reference.js';
import { removeImage, tagImage } from '../../client/images.js';
import { reportError } from '../../report.js';
import { daemonAddress } from '../../daemon-address.js';

export async function runTag(command: Command, source: string, target: string): Promise<void> {
  await tagImage(daemonAddress(command), source, target);
}

/** Every image is tried; the command fails (exit 1) if any of them could not be removed, as docker's does. */
export async function runRmi(command: Command, names: string[], flags: { force?: boolean }): Promise<void> {
  const address = daemonAddress(command);
  for (const name of names) {
    try {
      const result = await removeImage(address, name, flags.force === true);
      for (const untagged of result.untagged) process.stdout.write(`Untagged: ${familiarName(parseReference(untagged))}\n`);
      for (const digest of result.deleted) process.stdout.write(`Deleted: ${digest}\n`);
    } catch (err) {
      const debug = command.optsWithGlobals<{ debug?: boolean }>().debug === true;
      process.exitCode = reportError(err, debug);
    }
  }
}
