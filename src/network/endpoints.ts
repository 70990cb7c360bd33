// Endpoint records: one file per container attached to a network, at
// <root>/network/endpoints/<network>/<container id>.json. The record is written before the
// CNI ADD runs and holds the exact configuration used, so a release after a crash (of kiln
// or of the whole host) runs DEL with what ADD saw, as the CNI spec asks.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CniResult } from './cni.js';
import type { NetworkConfList } from './conflist.js';
import { readJson, readJsonDir } from './files.js';
import { networkPaths } from './paths.js';
import type { NetworkConfig, PortMapping } from './types.js';

export interface EndpointRecord {
  containerId: string;
  /**
   * The CNI container ID ADD ran with, when it is not containerId: a namespace attached ahead
   * of time by the endpoint pool (pool.ts) under an ID of its own. DEL must give the same one,
   * as host-local keys its leases by it.
   */
  cniContainerId?: string;
  network: string;
  networkId: string;
  netnsPath: string;
  ifName: string;
  hostname?: string;
  aliases: string[];
  ports: PortMapping[];
  /** The configuration list ADD ran with; DEL must run with the same one. */
  conflist: NetworkConfList;
  /** The final ADD result, cached for DEL's prevResult; absent while ADD is still running. */
  result?: CniResult;
  ip?: string;
  gateway?: string;
  mac?: string;
}

export function readEndpoint(root: string, network: string, containerId: string): Promise<EndpointRecord | undefined> {
  return readJson<EndpointRecord>(networkPaths.endpoint(root, network, containerId));
}

export function networkEndpoints(root: string, network: string): Promise<EndpointRecord[]> {
  return readJsonDir<EndpointRecord>(networkPaths.endpoints(root, network));
}

/** Every endpoint on every network, for host-port conflict checks. */
export async function allEndpoints(root: string): Promise<EndpointRecord[]> {
  const dir = join(root, 'network', 'endpoints');
  const networks = await readdir(dir).catch(() => [] as string[]);
  const records = await Promise.all(networks.map((n) => networkEndpoints(root, n)));
  return records.flat();
}

/**
 * `/etc/hosts` lines ("IP hostname aliases...") for the containers attached to `network`,
 * except `exceptContainerId` (the container the file is for): the stand-in for docker's
 * embedded DNS on user networks. A container without a hostname is named by its short ID.
 */
export async function hostsEntriesFor(network: NetworkConfig, root: string, exceptContainerId?: string): Promise<string[]> {
  const endpoints = await networkEndpoints(root, network.name);
  return endpoints
    .filter((e) => e.containerId !== exceptContainerId && e.ip !== undefined)
    .map((e) => [e.ip, e.hostname ?? e.containerId.slice(0, 12), ...e.aliases].join(' '));
}
