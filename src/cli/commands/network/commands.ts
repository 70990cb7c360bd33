// The network commands' bodies, through the daemon. Output follows docker's: `create` prints the
// new ID, `ls` a NETWORK ID / NAME / DRIVER / SCOPE table, `inspect` docker's JSON shape, `rm`
// each name as given once it is gone (a failure on one does not stop the others).
import type { Command } from 'commander';
import type { NetworkRecord } from '../../../api/networks.js';
import { createNetwork, inspectNetwork, listNetworks, removeNetwork } from '../../client/networks.js';
import { flagError, reportError } from '../../report.js';
import { formatTable } from '../../table.js';
import { daemonAddress } from '../../daemon-address.js';

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
  const network = await createNetwork(daemonAddress(command), {
    name,
    ...(flags.subnet === undefined ? {} : { subnet: flags.subnet }),
    internal: flags.internal === true,
    labels: parseLabels(flags.label),
  });
  process.stdout.write(`${network.id}\n`);
}

export async function runLs(command: Command, flags: LsFlags): Promise<void> {
  const networks = await listNetworks(daemonAddress(command));
  const id = (n: NetworkRecord) => (flags.trunc === false ? n.id : n.id.slice(0, 12));
  if (flags.quiet === true) {
    process.stdout.write(networks.map((n) => `${id(n)}\n`).join(''));
    return;
  }
  process.stdout.write(formatTable(['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'], networks.map((n) => [id(n), n.name, n.driver, 'local'])));
}

/** Every network named, or nothing printed when one of them is not found. */
export async function runInspect(command: Command, names: string[]): Promise<void> {
  const address = daemonAddress(command);
  const views = [];
  for (const name of names) views.push(await inspectNetwork(address, name));
  process.stdout.write(`${JSON.stringify(views, null, 4)}\n`);
}

export async function runRm(command: Command, names: string[]): Promise<void> {
  const debug = command.optsWithGlobals<{ debug?: boolean }>().debug === true;
  const address = daemonAddress(command);
  let failed = false;
  for (const name of names) {
    try {
      await removeNetwork(address, name);
      process.stdout.write(`${name}\n`);
    } catch (err) {
      reportError(err, debug);
      failed = true;
    }
  }
  if (failed) process.exitCode = 1;
}
