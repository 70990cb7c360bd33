// Opening the in-process engine from the CLI's global flags: `--root DIR` (or KILN_ROOT), for
// the commands that do not go through the daemon yet (containers, volumes). withEngine closes
// the engine however the command ends.
import type { Command } from 'commander';
import { openEngine, type ImageEngine } from '../../../daemon/images/engine.js';

export async function withEngine<T>(command: Command, run: (engine: ImageEngine) => Promise<T>): Promise<T> {
  const { root } = command.optsWithGlobals<{ root?: string }>();
  const engine = await openEngine(root === undefined ? {} : { root });
  try {
    return await run(engine);
  } finally {
    await engine.close();
  }
}
