// `kiln builder prune` through the daemon, which owns the build cache: one JSON request, one
// JSON answer (src/daemon/server/prune-route.ts).
import type { DaemonAddress } from '../../api/host.js';
import type { PruneOptions, PruneResult } from '../../daemon/build/prune.js';
import { ensureDaemon } from './connect.js';
import { readBody, readHead, responseError, writeRequest } from './wire.js';

export const prunePath = '/kiln/v1/build/prune';

/** Prunes the build cache of the daemon of `address`, starting it when none runs. */
export async function pruneThroughDaemon(address: DaemonAddress, options: PruneOptions): Promise<PruneResult> {
  const socket = await ensureDaemon(address);
  try {
    writeRequest(socket, 'POST', prunePath, { 'Content-Type': 'application/json', Connection: 'close' }, JSON.stringify(options));
    const response = await readHead(socket, address.socketPath);
    const body = await readBody(socket, response);
    if (response.status !== 200) throw responseError(response.status, body);
    return JSON.parse(body.toString('utf8')) as PruneResult;
  } finally {
    socket.destroy();
  }
}
