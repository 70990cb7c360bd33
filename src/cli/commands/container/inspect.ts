// `kiln container inspect`: a JSON array of docker-shaped container objects, or one
// `--format` line per container. Missing containers are reported and fail the command, the
// others are still shown.
import type { Command } from 'commander';
import { inspectContainer } from '../../../daemon/containers/inspect.js';
import { reportError } from '../../report.js';
import { renderTemplate } from '../../template.js';
import { withEngine } from '../image/context.js';

export async function runContainerInspect(command: Command, names: string[], flags: { format?: string }): Promise<void> {
  const debug = command.optsWithGlobals<{ debug?: boolean }>().debug === true;
  const found: Record<string, unknown>[] = [];
  let failed = false;
  await withEngine(command, async (engine) => {
    for (const name of names) {
      try {
        found.push(await inspectContainer(engine, name));
      } catch (err) {
        reportError(err, debug);
        failed = true;
      }
    }
  });
  const { format } = flags;
  if (format === undefined) process.stdout.write(`${JSON.stringify(found, null, 4)}\n`);
  else process.stdout.write(found.map((c) => `${renderTemplate(format, c)}\n`).join(''));
  if (failed) process.exitCode = 1;
}
