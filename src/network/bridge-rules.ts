// The iptables rules of a bridge network as a whole, the way dockerd installs them once for
// docker0: one MASQUERADE rule for the subnet's traffic leaving through another interface, and
// FORWARD accepts for the bridge (so a host whose FORWARD policy is DROP still forwards it).
// The CNI bridge plugin's ipMasq and the firewall plugin would install the same per container,
// at some twenty-five iptables runs for each container's start and stop.
//
// The rules are checked (and added where missing) on a network's first attachment after boot;
// a marker in /run, which a reboot clears along with the rules, spares the later ones the
// check. An internal network forwards only between its own containers and masquerades nothing.
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, runChecked } from './exec.js';
import type { NetworkConfig } from './types.js';

const MARKERS = '/run/kiln/bridge-rules';

/** [table, chain, ...rule] for each rule the network needs. */
export function bridgeRules(network: NetworkConfig): string[][] {
  const { bridge, subnet } = network;
  if (network.internal === true) return [['filter', 'FORWARD', '-i', bridge, '-o', bridge, '-j', 'ACCEPT']];
  return [
    ['nat', 'POSTROUTING', '-s', subnet, '!', '-o', bridge, '-j', 'MASQUERADE'],
    ['filter', 'FORWARD', '-i', bridge, '-j', 'ACCEPT'],
    ['filter', 'FORWARD', '-o', bridge, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
  ];
}

function markerOf(network: NetworkConfig): string {
  return join(MARKERS, `${network.bridge}-${network.subnet.replace('/', '_')}`);
}

export async function ensureBridgeRules(network: NetworkConfig): Promise<void> {
  const marker = markerOf(network);
  if (await stat(marker).then(() => true, () => false)) return;
  await Promise.all(bridgeRules(network).map(async ([table = '', chain = '', ...rule]) => {
    const present = await run('iptables', ['-w', '-t', table, '-C', chain, ...rule]);
    // FORWARD rules go first, ahead of any DROP a firewall (or dockerd) put there.
    if (present.status !== 0) await runChecked('iptables', ['-w', '-t', table, chain === 'FORWARD' ? '-I' : '-A', chain, ...rule]);
  }));
  await mkdir(MARKERS, { recursive: true });
  await writeFile(marker, '');
}

/** Deletes the network's rules (when its network is removed); rules already gone are fine. */
export async function removeBridgeRules(network: NetworkConfig): Promise<void> {
  for (const [table = '', chain = '', ...rule] of bridgeRules(network)) {
    await run('iptables', ['-w', '-t', table, '-D', chain, ...rule]);
  }
  await rm(markerOf(network), { force: true });
}
