// `kiln container inspect`: a JSON array of docker-shaped container objects, as the daemon
// answers for each name, or one `--format` line per container. Missing containers are
// reported and fail the command, the others are still shown.
import type { Command } from 'commander';
import { inspectContainer } from '../../client/containers.js';
import { reportError } from '../../report.js';
import { renderTemplate } from '../../template.js';
import { daemonAddress } from '../../daemon-address.js';

export async function runContainerInspect(command: Command, names: string[], flags: { format?: string }): Promise<void> {
  const debug = command.optsWithGlobals<{ debug?: boolean }>().debug === true;
  const address = daemonAddress(command);
  const found: Record<string, unknown>[] = [];
  let failed = false;
  for (const name of names) {
    try {
      found.push(await inspectContainer(address, name));
    } catch (err) {
      reportError(err, debug);
      failed = true;
    }
  }
  const { format } = flags;
  if (format === undefined) process.stdout.write(`${JSON.stringify(found, null, 4)}\n`);
  else process.stdout.write(found.map((c) => `${renderTemplate(format, c)}\n`).join(''));
  if (failed) process.exitCode = 1;
}
