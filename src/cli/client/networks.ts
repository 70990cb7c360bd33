// The network commands' calls to the daemon's native network API (src/api/networks.ts): one JSON
// request and answer each. On these commands' start-up path: small client modules only.
import type { DaemonAddress } from '../../api/host.js';
import { networkPath, networksPath, type NetworkCreateRequest, type NetworkRecord } from '../../api/networks.js';
import { requestJson } from './request.js';

export function createNetwork(address: DaemonAddress, request: NetworkCreateRequest): Promise<NetworkRecord> {
  return requestJson(address, 'POST', networksPath, { body: request });
}

export function listNetworks(address: DaemonAddress): Promise<NetworkRecord[]> {
  return requestJson(address, 'GET', networksPath);
}

/** docker's view of the network; an unknown one rejects with NOT_FOUND. */
export function inspectNetwork(address: DaemonAddress, name: string): Promise<Record<string, unknown>> {
  return requestJson(address, 'GET', networkPath(name));
}

export async function removeNetwork(address: DaemonAddress, name: string): Promise<void> {
  await requestJson(address, 'DELETE', networkPath(name));
}
