// `kiln run -d`: the daemon creates the container and starts it under its own supervision
// (src/daemon/server/container-detached-route.ts); the full container ID is printed once it
// runs, as docker prints it. What the run prints before (a pull's lines) goes to our stderr.
import type { Command } from 'commander';
import type { RunOptions } from '../../../daemon/containers/run.js';
import { runDetached as startThroughDaemon } from '../../client/containers.js';
import { daemonAddress } from '../../daemon-address.js';

export async function runDetached(command: Command, options: RunOptions): Promise<number> {
  const id = await startThroughDaemon(daemonAddress(command), options, process.stderr);
  process.stdout.write(`${id}\n`);
  return 0;
}
