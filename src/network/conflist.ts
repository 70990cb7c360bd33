// The CNI network configuration list kiln hands the plugins for one attachment: bridge with
// host-local IPAM, then portmap when the container publishes ports (its ADD and DEL cost
// iptables runs that a container without ports need not pay; DEL runs with the list ADD ran
// with, kept in the endpoint record). Masquerading and forwarding are the network's own
// rules (bridge-rules.ts), not per container: no ipMasq, no firewall plugin. Loopback is its own
// one-plugin network, run on "lo", as containerd's go-cni does.
import type { NetworkConfig } from './types.js';

export const CNI_VERSION = '1.0.0';

export interface PluginConf {
  type: string;
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

export interface NetworkConfList {
  cniVersion: string;
  name: string;
  plugins: PluginConf[];
}

/** The CNI network name; host-local keeps its leases under <ipam dir>/<this name>. */
export function cniNetworkName(network: NetworkConfig): string {
  return `kiln-${network.name}`;
}

export function bridgeConfList(network: NetworkConfig, ipamDir: string, publishesPorts = true): NetworkConfList {
  return {
    cniVersion: CNI_VERSION,
    name: cniNetworkName(network),
    plugins: [
      {
        type: 'bridge',
        bridge: network.bridge,
        isGateway: true,
        // Masquerading is one rule for the whole network (bridge-rules.ts).
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: network.subnet, gateway: network.gateway }]],
          // An internal network does not route out: containers see each other only.
          routes: network.internal === true ? [] : [{ dst: '0.0.0.0/0' }],
          dataDir: ipamDir,
        },
      },
      // snat makes connections to 127.0.0.1:<hostPort> work: portmap masquerades them and
      // turns on route_localnet for the bridge.
      ...(publishesPorts ? [{ type: 'portmap', capabilities: { portMappings: true }, snat: true }] : []),
    ],
  };
}

export const loopbackConfList: NetworkConfList = {
  cniVersion: CNI_VERSION,
  name: 'kiln-loopback',
  plugins: [{ type: 'loopback' }],
};
