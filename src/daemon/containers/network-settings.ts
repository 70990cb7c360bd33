// docker's views of a container's networking: `container inspect`'s NetworkSettings and
// HostConfig.PortBindings, and the ports `ps` shows. Addresses and resolved host ports come
// from the endpoint record, which exists while the container is attached: like docker, a
// container that is not running shows its network without an address.
import { readEndpoint, type EndpointRecord } from '../../network/endpoints.js';
import { DEFAULT_NETWORK, NetworkStore, type PortMapping } from '../../network/index.js';
import { joinsNetwork } from './network.js';
import type { ContainerRecord } from './record.js';

interface PortBinding {
  HostIp: string;
  HostPort: string;
}

/** The endpoint of a running container on a kiln network, if it is attached. */
export async function runningEndpoint(root: string, record: ContainerRecord): Promise<EndpointRecord | undefined> {
  if (record.state.status !== 'running' || !joinsNetwork(record.config.network)) return undefined;
  return readEndpoint(root, record.config.network, record.id);
}

/** docker's nat.PortMap: "80/tcp" → bindings; `anyHost` stands in for a mapping without a host IP. */
export function portMap(ports: readonly PortMapping[], anyHost: string): Record<string, PortBinding[]> {
  const map: Record<string, PortBinding[]> = {};
  for (const port of ports) {
    const key = `${port.containerPort}/${port.protocol}`;
    (map[key] ??= []).push({ HostIp: port.hostIP ?? anyHost, HostPort: port.hostPort === 0 ? '' : String(port.hostPort) });
  }
  return map;
}

/** NetworkSettings as docker's inspect shows it, and HostConfig.PortBindings (the ports as asked). */
export async function networkSettings(root: string, record: ContainerRecord): Promise<{ settings: Record<string, unknown>; portBindings: Record<string, PortBinding[]> }> {
  const { network } = record.config;
  const endpoint = await runningEndpoint(root, record);
  const config = joinsNetwork(network) ? await new NetworkStore(root).get(network).catch(() => undefined) : undefined;
  const address = {
    Gateway: endpoint?.gateway ?? '',
    IPAddress: endpoint?.ip ?? '',
    IPPrefixLen: endpoint?.ip === undefined || config === undefined ? 0 : Number(config.subnet.split('/')[1]),
    MacAddress: endpoint?.mac ?? '',
  };
  const settings = {
    Bridge: '',
    SandboxKey: endpoint?.netnsPath ?? '',
    Ports: portMap(endpoint?.ports ?? [], '0.0.0.0'),
    // docker repeats the default bridge's address at the top level (for API clients of old).
    ...(network === DEFAULT_NETWORK ? address : { Gateway: '', IPAddress: '', IPPrefixLen: 0, MacAddress: '' }),
    Networks: {
      [network]: {
        Aliases: endpoint === undefined || endpoint.aliases.length === 0 ? null : endpoint.aliases,
        NetworkID: config?.id ?? '',
        ...address,
      },
    },
  };
  return { settings, portBindings: portMap(record.config.ports ?? [], '') };
}
