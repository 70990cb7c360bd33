// A container's networking, between the network library (src/network) and the run: which
// network `run --network` / `-p` mean, the attachment a run starts with, the /etc/hosts
// entries that let containers on a user network reach each other by name, and the release
// that undoes it all, from any process, any number of times.
//
// Name resolution on user networks is docker's embedded DNS done with hosts files, the way
// docker's legacy links worked: a joining container's hosts file lists the peers already
// there, and each running peer's hosts file (bind-mounted from <root>/containers/<id>/hosts)
// gains a line for the newcomer, which goes again on release. Peers' files are changed in
// place, never renamed over: a bind mount keeps the inode it was given. The default bridge
// has no name resolution in docker, and so none of this work either. Two containers joining in
// the same few milliseconds can miss one another's line (no lock orders them): what docker's
// embedded DNS would not.
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import type { ExtraHost, NetworkMode } from '../../executor/index.js';
import { allEndpoints, networkEndpoints, type EndpointRecord } from '../../network/endpoints.js';
import { claimHostPorts } from '../../network/host-ports.js';
import { EndpointPool, type EndpointPoolOptions } from '../../network/pool.js';
import { attach, DEFAULT_NETWORK, hostsEntriesFor, NetworkStore, parsePublish, releaseEndpoint, type PortMapping } from '../../network/index.js';
import { KilnError } from '../../util/errors.js';
import { shortContainerId, type ContainerRecord } from './record.js';
import { ContainerStore } from './store.js';

/** Whether the container joins a kiln network (bridge or user), rather than none or host. */
export function joinsNetwork(network: string): boolean {
  return network !== 'none' && network !== 'host';
}

function isUserNetwork(network: string): boolean {
  return joinsNetwork(network) && network !== DEFAULT_NETWORK;
}

export interface RunNetwork {
  /** none, host, or the network's name (a network given by ID is kept by name). */
  network: string;
  ports: PortMapping[];
}

/**
 * Checks --network and --publish before the container is recorded, so that a bad flag, an
 * unknown network or a host port in use leaves nothing behind. The ports are claimed again
 * when the run attaches; this early check only spares the user a dead "Created" container.
 */
export async function resolveRunNetwork(root: string, network: string, publish: readonly string[]): Promise<RunNetwork> {
  const ports = publish.flatMap(parsePublish);
  if (!joinsNetwork(network)) {
    if (ports.length > 0) {
      throw new KilnError('INVALID_ARGUMENT', 'conflicting options: port publishing and the container type network mode', {
        hint: `publish ports only on bridge or user networks, not with --network ${network}`, details: { flag: '--publish' },
      });
    }
    return { network, ports };
  }
  const store = new NetworkStore(root);
  const config = network === DEFAULT_NETWORK ? await store.ensureDefault() : await store.get(network);
  if (ports.length > 0) await claimHostPorts(ports, await allEndpoints(root));
  return { network: config.name, ports };
}

export interface ContainerNetworking {
  mode: NetworkMode;
  /** The container's own address, for its /etc/hosts line. */
  address?: string;
  /** The peers on its user network, for its /etc/hosts. */
  extraHosts: ExtraHost[];
}

/** "IP name aliases..." (hostsEntriesFor's lines) as an /etc/hosts entry. */
function extraHostOf(entry: string): ExtraHost {
  const [ip = '', ...names] = entry.split(' ');
  return { ip, host: names.join(' ') };
}

function hostsLine(ip: string, record: ContainerRecord): string {
  return `${ip}\t${shortContainerId(record.id)} ${record.name}\n`;
}

function peersOf(endpoints: EndpointRecord[], id: string): EndpointRecord[] {
  return endpoints.filter((endpoint) => endpoint.containerId !== id);
}

/**
 * Runs on the default bridge that publish no ports: what an endpoint pool serves. Its
 * namespaces carry no port mappings, and their release in the background cannot hold a host
 * port that the next run asks for.
 */
function servedByPool(record: ContainerRecord): boolean {
  return record.config.network === DEFAULT_NETWORK && (record.config.ports ?? []).length === 0;
}

/**
 * Starts the endpoint pool of `root`'s default network, for a long-lived process (the daemon)
 * to hand to attachContainer and releaseContainerNetwork; it recovers what a dead pool left.
 */
export function startEndpointPool(root: string, options: Omit<EndpointPoolOptions, 'containerExists'> = {}): Promise<EndpointPool> {
  const store = new ContainerStore(root);
  return EndpointPool.start(root, { ...options, containerExists: async (id) => (await store.get(id)) !== undefined });
}

/**
 * Attaches the recorded container to its network; on a user network, also tells the running
 * peers its name. A failure part-way is undone by releaseContainerNetwork, as after a crash.
 * With a pool, a run it serves takes a namespace attached ahead when one is ready.
 */
export async function attachContainer(root: string, record: ContainerRecord, pool?: EndpointPool): Promise<ContainerNetworking> {
  const { network } = record.config;
  if (network === 'none' || network === 'host') return { mode: { mode: network }, extraHosts: [] };
  const pooled = pool !== undefined && servedByPool(record) ? await pool.take(record.id, { hostname: shortContainerId(record.id) }) : undefined;
  if (pooled !== undefined) return { mode: { mode: 'netns', path: pooled.netnsPath }, address: pooled.ip, extraHosts: [] };
  const config = await new NetworkStore(root).get(network);
  const user = isUserNetwork(network);
  const attachment = await attach(root, config, record.id, {
    hostname: shortContainerId(record.id), ports: record.config.ports ?? [], ...(user ? { aliases: [record.name] } : {}),
  });
  const mode: NetworkMode = { mode: 'netns', path: attachment.netnsPath };
  if (!user) return { mode, address: attachment.ip, extraHosts: [] };
  const extraHosts = (await hostsEntriesFor(config, root, record.id)).map(extraHostOf);
  const store = new ContainerStore(root);
  const line = hostsLine(attachment.ip, record);
  await Promise.all(peersOf(await networkEndpoints(root, network), record.id).map((peer) =>
    // A peer between attach and writing its own hosts file lists this container itself.
    appendFile(`${store.containerDir(peer.containerId)}/hosts`, line).catch(ignoreMissing)));
  return { mode, address: attachment.ip, extraHosts };
}

function ignoreMissing(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
}

/** Drops the container's line from each peer's hosts file, rewriting the file in place. */
async function withdrawFromPeers(root: string, record: ContainerRecord, endpoints: EndpointRecord[]): Promise<void> {
  const own = endpoints.find((endpoint) => endpoint.containerId === record.id);
  if (own?.ip === undefined) return;
  const ip = own.ip;
  const store = new ContainerStore(root);
  const isOwnLine = (line: string): boolean => {
    const [address, name] = line.split(/\s+/);
    return address === ip && name === shortContainerId(record.id);
  };
  await Promise.all(peersOf(endpoints, record.id).map(async (peer) => {
    const path = `${store.containerDir(peer.containerId)}/hosts`;
    const text = await readFile(path, 'utf8').catch((err: unknown) => (ignoreMissing(err), undefined));
    if (text === undefined) return;
    const lines = text.split('\n');
    if (!lines.some(isOwnLine)) return;
    await writeFile(path, lines.filter((line) => !isOwnLine(line)).join('\n'));
  }));
}

/**
 * Undoes the container's attachment: its name leaves its peers' hosts files, then CNI DEL,
 * the namespace and the endpoint record go. Nothing attached (none, host, released already,
 * never attached): nothing to do. With a pool, a run it serves (pooled namespace or not; the
 * default bridge keeps no hosts files) is released in the background, after this returns.
 */
export async function releaseContainerNetwork(root: string, record: ContainerRecord, pool?: EndpointPool): Promise<void> {
  const { network } = record.config;
  if (!joinsNetwork(network)) return;
  if (pool !== undefined && servedByPool(record)) {
    pool.release(record.id);
    return;
  }
  if (isUserNetwork(network)) await withdrawFromPeers(root, record, await networkEndpoints(root, network));
  await releaseEndpoint(root, network, record.id);
}

/**
 * Runs two steps of a run side by side and waits for both before reporting the first failure:
 * teardown must not start while a step (an attach) is still creating what it would release.
 */
export async function alongside<A, B>(first: Promise<A>, second: Promise<B>): Promise<[A, B]> {
  const [a, b] = await Promise.allSettled([first, second]);
  if (a.status === 'rejected') throw a.reason;
  if (b.status === 'rejected') throw b.reason;
  return [a.value, b.value];
}
