// Attaching a container to a network: a named network namespace (ip netns add kiln-<id>),
// then CNI ADD for loopback and for the network's bridge chain. Releasing runs DEL in reverse
// from the endpoint record alone, so it works from any process, twice, or after a crash. The
// record names the namespace and CNI container ID it was made with, which for a namespace the
// endpoint pool attached ahead of time are not the container's own.
import { rm } from 'node:fs/promises';
import { createJsonExclusive, readJson, writeJsonAtomic } from './files.js';
import { addNetworkList, delNetworkList, type CniInvocation, type CniResult } from './cni.js';
import { bridgeConfList, loopbackConfList } from './conflist.js';
import { allEndpoints, type EndpointRecord } from './endpoints.js';
import { run, runChecked } from './exec.js';
import { ensureBridgeRules } from './bridge-rules.js';
import { claimHostPorts } from './host-ports.js';
import { netnsNameOf, netnsPath, networkPaths, SHARED_IPAM_DIR } from './paths.js';
import { DEFAULT_NETWORK } from './store.js';
import type { Attachment, NetworkConfig, PortMapping } from './types.js';
import { KilnError } from '../util/errors.js';

export interface AttachOptions {
  ports?: PortMapping[];
  hostname?: string;
  aliases?: string[];
}

const IFNAME = 'eth0';

function invocation(record: EndpointRecord, ifName: string): CniInvocation {
  return {
    containerId: record.cniContainerId ?? record.containerId,
    netnsPath: record.netnsPath,
    ifName,
    runtimeConfig: { portMappings: record.ports.map((p) => ({ ...p, hostIP: p.hostIP ?? '' })) },
  };
}

function addressOf(result: CniResult): { ip: string; gateway: string; mac?: string } {
  const ip = result.ips?.[0];
  if (ip === undefined) throw new KilnError('INTERNAL', 'the CNI bridge plugin returned no IP address');
  const iface = ip.interface === undefined ? undefined : result.interfaces?.[ip.interface];
  return {
    ip: ip.address.split('/')[0] ?? ip.address,
    gateway: ip.gateway ?? '',
    ...(iface?.mac === undefined ? {} : { mac: iface.mac }),
  };
}

/**
 * Where host-local keeps the network's address leases. The default network's bridge (kiln0) is
 * shared by every store root on the host, so its leases are too; they live in /run, as the
 * namespaces holding the addresses do not outlive a reboot either.
 */
function ipamDirOf(root: string, network: NetworkConfig): string {
  return network.name === DEFAULT_NETWORK ? SHARED_IPAM_DIR : networkPaths.ipam(root);
}

/** The record of an attachment about to be made: what ADD will run with, before it runs. */
export function newEndpointRecord(root: string, network: NetworkConfig, containerId: string, ports: PortMapping[], options: AttachOptions = {}): EndpointRecord {
  return {
    containerId,
    network: network.name,
    networkId: network.id,
    netnsPath: netnsPath(containerId),
    ifName: IFNAME,
    ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
    aliases: options.aliases ?? [],
    ports,
    conflist: bridgeConfList(network, ipamDirOf(root, network), ports.length > 0),
  };
}

export async function attach(root: string, network: NetworkConfig, containerId: string, options: AttachOptions = {}): Promise<Attachment> {
  // Other containers' ports matter only when this one publishes any.
  const ports = options.ports === undefined || options.ports.length === 0 ? [] : await claimHostPorts(options.ports, await allEndpoints(root));
  const record = newEndpointRecord(root, network, containerId, ports, options);
  const path = networkPaths.endpoint(root, network.name, containerId);
  // The record exists before anything is created, so a crash at any later point is undone by release.
  if (!(await createJsonExclusive(path, record))) {
    throw new KilnError('CONFLICT', `container ${containerId.slice(0, 12)} is already attached to network ${network.name}`);
  }
  const attached = await completeEndpoint(path, record, network);
  return {
    netnsPath: record.netnsPath,
    ip: attached.ip ?? '',
    gateway: attached.gateway ?? '',
    ...(attached.mac === undefined ? {} : { mac: attached.mac }),
    ports,
    release: () => releaseEndpoint(root, network.name, containerId),
  };
}

/**
 * Makes what the record at `path` (written already) describes: the namespace and the CNI ADDs,
 * whose result and address are then recorded too. A failure releases whatever was made.
 */
export async function completeEndpoint<T extends EndpointRecord>(path: string, record: T, network: NetworkConfig): Promise<T> {
  try {
    const [, result] = await Promise.all([
      ensureBridgeRules(network),
      (async () => {
        await runChecked('ip', ['netns', 'add', netnsNameOf(record.netnsPath)]);
        // lo and eth0 are independent: the two plugin chains run side by side.
        const [, bridged] = await Promise.all([
          addNetworkList(loopbackConfList, invocation(record, 'lo')),
          addNetworkList(record.conflist, invocation(record, record.ifName)),
        ]);
        return bridged;
      })(),
    ]);
    const attached: T = { ...record, result, ...addressOf(result) };
    await writeJsonAtomic(path, attached);
    return attached;
  } catch (err) {
    await releaseEndpointAt(path).catch(() => undefined);
    throw err;
  }
}

/**
 * Undoes an attachment from its endpoint record: CNI DEL of the bridge chain with the cached
 * config and result, then the namespace, then the record. Nothing recorded: nothing to do.
 * Loopback gets no DEL: it has no state outside the namespace, which goes right after.
 * A failed DEL keeps the record, so the release can be retried.
 */
export function releaseEndpoint(root: string, network: string, containerId: string): Promise<void> {
  return releaseEndpointAt(networkPaths.endpoint(root, network, containerId));
}

/** releaseEndpoint for the record at `path`, wherever it is kept (the pool keeps its own). */
export async function releaseEndpointAt(path: string): Promise<void> {
  const record = await readJson<EndpointRecord>(path);
  if (record === undefined) return;
  await delNetworkList(record.conflist, invocation(record, record.ifName), record.result);
  const name = netnsNameOf(record.netnsPath);
  const removed = await run('ip', ['netns', 'del', name]);
  if (removed.status !== 0 && !/No such file|not exist/i.test(removed.stderr)) {
    throw new KilnError('INTERNAL', `ip netns del ${name} failed: ${removed.stderr.trim()}`);
  }
  await rm(path, { force: true });
}
