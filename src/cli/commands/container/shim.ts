// The hidden `kiln container-shim ID`: the supervisor process of a detached container
// (daemon/containers/shim.ts). Not a user command; `run -d` starts it.
import type { Command } from 'commander';
import { runShim } from '../../../daemon/containers/shim.js';
import { withEngine } from '../image/context.js';

export async function runContainerShim(command: Command, id: string): Promise<void> {
  // Nothing reads the shim's stderr once the container runs; a write then must not kill it.
  process.stderr.on('error', () => undefined);
  process.exitCode = await withEngine(command, (engine) => runShim(engine, id));
}
