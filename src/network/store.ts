// The networks kiln knows: one JSON record per network under <root>/network/networks. The
// default network "bridge" (bridge kiln0) is created on first use, as dockerd creates its own
// at start-up; user networks get a bridge named after their ID.
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../util/errors.js';
import { firstFree, formatCidr, gatewayOf, parseCidr, poolSubnets, overlaps, type Ipv4Net } from './cidr.js';
import { removeBridgeRules } from './bridge-rules.js';
import { run } from './exec.js';
import { createJsonExclusive, readJson, readJsonDir } from './files.js';
import { hostRoutes } from './host-routes.js';
import { cniNetworkName } from './conflist.js';
import { networkPaths } from './paths.js';
import type { NetworkConfig } from './types.js';

export const DEFAULT_NETWORK = 'bridge';
const DEFAULT_BRIDGE = 'kiln0';
const DEFAULT_SUBNET = '172.30.0.0/16';
/** Names docker reserves for its predefined networks. */
const RESERVED = new Set(['bridge', 'host', 'none', 'default']);
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export interface CreateNetworkOptions {
  name: string;
  subnet?: string;
  internal?: boolean;
  labels?: Record<string, string>;
}

export class NetworkStore {
  constructor(private readonly root: string) {}

  async create(options: CreateNetworkOptions): Promise<NetworkConfig> {
    if (!NAME.test(options.name) || options.name.length > 128) {
      throw new KilnError('INVALID_ARGUMENT', `invalid network name "${options.name}"`, {
        hint: 'names start with a letter or digit and contain only letters, digits, "_", "." and "-"',
      });
    }
    if (RESERVED.has(options.name)) {
      throw new KilnError('CONFLICT', `network name ${options.name} is reserved for a predefined network`);
    }
    const id = randomBytes(32).toString('hex');
    // Linux interface names hold at most 15 characters: "kiln-" and 10 hex digits.
    return this.save({ name: options.name, id, bridge: `kiln-${id.slice(0, 10)}` }, options);
  }

  async get(nameOrId: string): Promise<NetworkConfig> {
    const all = await this.list();
    const exact = all.find((n) => n.name === nameOrId || n.id === nameOrId);
    if (exact) return exact;
    const byPrefix = nameOrId === '' ? [] : all.filter((n) => n.id.startsWith(nameOrId));
    if (byPrefix.length === 1 && byPrefix[0]) return byPrefix[0];
    if (byPrefix.length > 1) {
      throw new KilnError('INVALID_ARGUMENT', `network ID prefix ${nameOrId} is ambiguous`, { hint: 'give more characters of the ID, or the name' });
    }
    throw new KilnError('NOT_FOUND', `network ${nameOrId} not found`, { hint: 'list networks with `kiln network ls`' });
  }

  async list(): Promise<NetworkConfig[]> {
    const networks = await readJsonDir<NetworkConfig>(networkPaths.networks(this.root));
    return networks.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
  }

  /** Removes a network with no endpoints: its record, CNI config, address leases and bridge. */
  async remove(nameOrId: string): Promise<NetworkConfig> {
    const network = await this.get(nameOrId);
    if (network.name === DEFAULT_NETWORK) {
      throw new KilnError('DENIED', `${DEFAULT_NETWORK} is a pre-defined network and cannot be removed`);
    }
    const endpoints = await readdir(networkPaths.endpoints(this.root, network.name)).catch(() => [] as string[]);
    const attached = endpoints.filter((e) => e.endsWith('.json')).map((e) => e.slice(0, -'.json'.length));
    if (attached.length > 0) {
      throw new KilnError('CONFLICT', `network ${network.name} (id ${network.id.slice(0, 12)}) has active endpoints: ${attached.map((c) => c.slice(0, 12)).join(', ')}`, {
        hint: 'stop or disconnect the containers first',
      });
    }
    await rm(networkPaths.network(this.root, network.name), { force: true });
    await rm(networkPaths.conflist(this.root, network.name), { force: true });
    await rm(networkPaths.endpoints(this.root, network.name), { recursive: true, force: true });
    await rm(join(networkPaths.ipam(this.root), cniNetworkName(network)), { recursive: true, force: true });
    // The bridge plugin never deletes bridges; a missing one (never attached) is fine.
    await run('ip', ['link', 'del', network.bridge]);
    await removeBridgeRules(network);
    return network;
  }

  /**
   * The default network, created on first use: 172.30.0.0/16 unless the host already routes it.
   * kiln0 is one bridge per host, as docker0 is, shared by every store root: when it is up
   * already, its subnet is taken over (unless this root's own networks overlap it).
   */
  async ensureDefault(): Promise<NetworkConfig> {
    // Every run on the default network asks: its record alone is one read, the list is many.
    const existing = await readJson<NetworkConfig>(networkPaths.network(this.root, DEFAULT_NETWORK));
    if (existing !== undefined) return existing;
    const networks = await this.list();
    const [shared] = await hostRoutes(DEFAULT_BRIDGE);
    const own = networks.map((n) => parseCidr(n.subnet));
    const preferred = shared !== undefined && !own.some((n) => overlaps(n, shared)) ? shared : parseCidr(DEFAULT_SUBNET);
    const taken = await this.takenSubnets();
    const sixteens = [...poolSubnets()].filter((s) => s.prefix === 16);
    const subnet = preferred === shared ? shared : firstFree([preferred, ...sixteens], taken);
    if (subnet === undefined) {
      throw new KilnError('UNAVAILABLE', 'no free /16 in 172.17.0.0-172.31.255.255 for the default network', {
        hint: 'remove networks or host routes that use these addresses',
      });
    }
    const id = randomBytes(32).toString('hex');
    const record = { name: DEFAULT_NETWORK, id, bridge: DEFAULT_BRIDGE };
    try {
      return await this.save(record, { name: DEFAULT_NETWORK, subnet: formatCidr(subnet) });
    } catch (err) {
      // Another process created the default network at the same time: use theirs.
      if (err instanceof KilnError && err.code === 'ALREADY_EXISTS') return this.get(DEFAULT_NETWORK);
      throw err;
    }
  }

  private async takenSubnets(): Promise<Ipv4Net[]> {
    const networks = (await this.list()).map((n) => parseCidr(n.subnet));
    return [...networks, ...(await hostRoutes())];
  }

  private async save(identity: { name: string; id: string; bridge: string }, options: CreateNetworkOptions): Promise<NetworkConfig> {
    if ((await this.list()).some((n) => n.name === identity.name)) {
      throw new KilnError('ALREADY_EXISTS', `network with name ${identity.name} already exists`);
    }
    const subnet = await this.chooseSubnet(options.subnet);
    const network: NetworkConfig = {
      name: identity.name,
      id: identity.id,
      driver: 'bridge',
      subnet: formatCidr(subnet),
      gateway: gatewayOf(subnet),
      bridge: identity.bridge,
      ...(options.internal === true ? { internal: true } : {}),
      ...(options.labels && Object.keys(options.labels).length > 0 ? { labels: options.labels } : {}),
      createdAt: new Date().toISOString(),
    };
    if (!(await createJsonExclusive(networkPaths.network(this.root, network.name), network))) {
      throw new KilnError('ALREADY_EXISTS', `network with name ${identity.name} already exists`);
    }
    return network;
  }

  private async chooseSubnet(requested: string | undefined): Promise<Ipv4Net> {
    const networks = await this.list();
    if (requested !== undefined) {
      const subnet = parseCidr(requested);
      const clash = networks.find((n) => overlaps(parseCidr(n.subnet), subnet));
      if (clash) {
        throw new KilnError('CONFLICT', `subnet ${requested} overlaps network ${clash.name} (${clash.subnet})`, { hint: 'choose another --subnet' });
      }
      return subnet;
    }
    const free = firstFree(poolSubnets(), await this.takenSubnets());
    if (free === undefined) {
      throw new KilnError('UNAVAILABLE', 'all predefined address pools have been fully subnetted', { hint: 'give the network a --subnet' });
    }
    return free;
  }
}

