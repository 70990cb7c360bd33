// `kiln builder prune` through the daemon, which owns the build cache: one JSON request, one
// JSON answer (src/daemon/server/prune-route.ts).
import type { DaemonAddress } from '../../api/host.js';
import type { PruneOptions, PruneResult } from '../../daemon/build/prune.js';
import { requestJson } from './request.js';

export const prunePath = '/kiln/v1/build/prune';

/** Prunes the build cache of the daemon of `address`, starting it when none runs. */
export function pruneThroughDaemon(address: DaemonAddress, options: PruneOptions): Promise<PruneResult> {
  return requestJson<PruneResult>(address, 'POST', prunePath, { body: options });
}
