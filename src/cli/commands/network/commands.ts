// The network commands' bodies. Output follows docker's: `create` prints the new ID, `ls` a
// NETWORK ID / NAME / DRIVER / SCOPE table, `inspect` docker's JSON shape, `rm` each name as
// given once it is gone (a failure on one does not stop the others).
import type { Command } from 'commander';
import { defaultRoot } from '../../../util/store-root.js';
import { NetworkStore, networkEndpoints, type NetworkConfig } from '../../../network/index.js';
import { flagError, reportError } from '../../report.js';
import { formatTable } from '../../table.js';

export interface CreateFlags {
  driver: string;
  subnet?: string;
  internal?: boolean;
  label: string[];
}

export interface LsFlags {
  quiet?: boolean;
  trunc?: boolean;
}

function rootOf(command: Command): string {
  return command.optsWithGlobals<{ root?: string }>().root ?? defaultRoot();
}

function parseLabels(values: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq === 0) throw flagError('--label', `invalid label "${value}"`, 'use --label KEY=VALUE');
    if (eq === -1) labels[value] = '';
    else labels[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return labels;
}

export async function runCreate(command: Command, name: string, flags: CreateFlags): Promise<void> {
  if (flags.driver !== 'bridge') throw flagError('--driver', `unsupported driver "${flags.driver}"`, 'kiln supports the bridge driver only');
  const network = await new NetworkStore(rootOf(command)).create({
    name,
    ...(flags.subnet === undefined ? {} : { subnet: flags.subnet }),
    internal: flags.internal === true,
    labels: parseLabels(flags.label),
  });
  process.stdout.write(`${network.id}\n`);
}

export async function runLs(command: Command, flags: LsFlags): Promise<void> {
  const store = new NetworkStore(rootOf(command));
  // The default network always exists, as it does from dockerd's start.
  await store.ensureDefault();
  const networks = await store.list();
  const id = (n: NetworkConfig) => (flags.trunc === false ? n.id : n.id.slice(0, 12));
  if (flags.quiet === true) {
    process.stdout.write(networks.map((n) => `${id(n)}\n`).join(''));
    return;
  }
  process.stdout.write(formatTable(['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'], networks.map((n) => [id(n), n.name, n.driver, 'local'])));
}

async function inspectView(root: string, network: NetworkConfig): Promise<Record<string, unknown>> {
  const containers: Record<string, unknown> = {};
  for (const endpoint of await networkEndpoints(root, network.name)) {
    containers[endpoint.containerId] = {
      Name: endpoint.hostname ?? endpoint.containerId.slice(0, 12),
      MacAddress: endpoint.mac ?? '',
      IPv4Address: endpoint.ip === undefined ? '' : `${endpoint.ip}/${network.subnet.split('/')[1] ?? ''}`,
      IPv6Address: '',
    };
  }
  return {
    Name: network.name,
    Id: network.id,
    Created: network.createdAt,
    Scope: 'local',
    Driver: network.driver,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: network.subnet, Gateway: network.gateway }] },
    Internal: network.internal === true,
    Attachable: false,
    Ingress: false,
    Containers: containers,
    Options: { 'com.docker.network.bridge.name': network.bridge },
    Labels: network.labels ?? {},
  };
}

export async function runInspect(command: Command, names: string[]): Promise<void> {
  const root = rootOf(command);
  const store = new NetworkStore(root);
  if (names.includes('bridge')) await store.ensureDefault();
  const views = [];
  for (const name of names) views.push(await inspectView(root, await store.get(name)));
  process.stdout.write(`${JSON.stringify(views, null, 4)}\n`);
}

export async function runRm(command: Command, names: string[]): Promise<void> {
  const debug = command.optsWithGlobals<{ debug?: boolean }>().debug === true;
  const store = new NetworkStore(rootOf(command));
  let failed = false;
  for (const name of names) {
    try {
      await store.remove(name);
      process.stdout.write(`${name}\n`);
    } catch (err) {
      reportError(err, debug);
      failed = true;
    }
  }
  if (failed) process.exitCode = 1;
}
