// `kiln image inspect`: docker's JSON array of image objects (the Engine API's, every standard
// key present, as the daemon answers for each name), or a Go-template subset per image with
// --format.
import type { Command } from 'commander';
import { KilnError } from '../../../util/errors.js';
import { inspectImage } from '../../client/images.js';
import { renderTemplate } from '../../template.js';
import { daemonAddress } from '../../daemon-address.js';

export async function runInspect(command: Command, names: string[], flags: { format?: string }): Promise<void> {
  const address = daemonAddress(command);
  const found: unknown[] = [];
  const missing: string[] = [];
  for (const name of names) {
    try {
      found.push(await inspectImage(address, name));
    } catch (err) {
      if (!(err instanceof KilnError && err.code === 'NOT_FOUND')) throw err;
      missing.push(name);
    }
  }
  // docker prints what it found, then fails for the rest.
  if (flags.format === undefined) process.stdout.write(`${JSON.stringify(found, null, 4)}\n`);
  else for (const obj of found) process.stdout.write(`${renderTemplate(flags.format, obj)}\n`);
  if (missing.length > 0) throw new KilnError('NOT_FOUND', `No such image: ${missing.join(', ')}`);
}
