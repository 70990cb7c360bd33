// The CNI network configuration list kiln hands the plugins for one network: bridge with
// host-local IPAM, then firewall (so that a host whose FORWARD policy is DROP, as docker's
// hosts have, still forwards container traffic), then portmap. Loopback is its own
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

export function bridgeConfList(network: NetworkConfig, ipamDir: string): NetworkConfList {
  return {
    cniVersion: CNI_VERSION,
    name: cniNetworkName(network),
    plugins: [
      {
        type: 'bridge',
        bridge: network.bridge,
        isGateway: true,
        // An internal network neither masquerades nor routes out: containers see each other only.
        ipMasq: network.internal !== true,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: network.subnet, gateway: network.gateway }]],
          routes: network.internal === true ? [] : [{ dst: '0.0.0.0/0' }],
          dataDir: ipamDir,
        },
      },
      { type: 'firewall', backend: 'iptables' },
      // snat makes connections to 127.0.0.1:<hostPort> work: portmap masquerades them and
      // turns on route_localnet for the bridge.
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
  };
}

export const loopbackConfList: NetworkConfList = {
  cniVersion: CNI_VERSION,
  name: 'kiln-loopback',
  plugins: [{ type: 'loopback' }],
};
