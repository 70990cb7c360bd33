// `kiln tag SOURCE TARGET` and `kiln rmi IMAGE...` with docker's output lines.
import type { Command } from 'commander';
import { isDangling } from '../../../daemon/images/local.js';
import { removeImage, tagImage } from '../../../daemon/images/remove.js';
import { familiarName, parseReference } from '../../../registry/index.js';
import { reportError } from '../../report.js';
import { withEngine } from './context.js';

export async function runTag(command: Command, source: string, target: string): Promise<void> {
  await withEngine(command, (engine) => tagImage(engine, source, target));
}

/** Every image is tried; the command fails (exit 1) if any of them could not be removed, as docker's does. */
export async function runRmi(command: Command, names: string[], flags: { force?: boolean }): Promise<void> {
  await withEngine(command, async (engine) => {
    for (const name of names) {
      try {
        const result = await removeImage(engine, name, { force: flags.force === true });
        for (const untagged of result.untagged.filter((n) => !isDangling(n))) process.stdout.write(`Untagged: ${familiarName(parseReference(untagged))}\n`);
        for (const digest of result.deleted) process.stdout.write(`Deleted: ${digest}\n`);
      } catch (err) {
        const debug = command.optsWithGlobals<{ debug?: boolean }>().debug === true;
        process.exitCode = reportError(err, debug);
      }
    }
  });
}
