// Where networking state lives under the store root (<root>/network/...).
import { basename, join } from 'node:path';

export const networkPaths = {
  networks: (root: string) => join(root, 'network', 'networks'),
  network: (root: string, name: string) => join(root, 'network', 'networks', `${name}.json`),
  conflist: (root: string, name: string) => join(root, 'network', 'cni', `${name}.conflist`),
  ipam: (root: string) => join(root, 'network', 'ipam'),
  endpoints: (root: string, name: string) => join(root, 'network', 'endpoints', name),
  endpoint: (root: string, name: string, containerId: string) => join(root, 'network', 'endpoints', name, `${containerId}.json`),
  /** The endpoint pool's namespaces not yet handed to a container, one record each. */
  pool: (root: string) => join(root, 'network', 'pool'),
  poolEntry: (root: string, poolId: string) => join(root, 'network', 'pool', `${poolId}.json`),
};

/** host-local's leases for the default network, whose bridge every store root shares. */
export const SHARED_IPAM_DIR = '/run/kiln/ipam';

/** The network namespace `ip netns add` creates for a container. */
export function netnsName(containerId: string): string {
  return `kiln-${containerId}`;
}

export function netnsPath(containerId: string): string {
  return `/var/run/netns/${netnsName(containerId)}`;
}

/** The name `ip netns` knows a recorded namespace by (pooled ones are not named after their container). */
export function netnsNameOf(path: string): string {
  return basename(path);
}
