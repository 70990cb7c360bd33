// `kiln run -d`: the container is created here and handed to its own supervisor (the shim);
// the full container ID is printed once it runs, as docker prints it.
import type { ImageEngine } from '../../../daemon/images/engine.js';
import { createContainer, type RunOptions } from '../../../daemon/containers/run.js';
import { startDetached } from '../../../daemon/containers/shim.js';

export async function runDetached(engine: ImageEngine, options: RunOptions): Promise<number> {
  const { record } = await createContainer(engine, options, process.stderr);
  await startDetached(engine, record);
  process.stdout.write(`${record.id}\n`);
  return 0;
}
