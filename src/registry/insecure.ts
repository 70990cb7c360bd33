// Which registries may be spoken to over plain HTTP (and without verifying their TLS
// certificate), as with Docker's `insecure-registries`: loopback hosts always, and hosts named
// in the insecure list by `host`, `host:port` or an IPv4/IPv6 CIDR such as 10.0.0.0/8.
import { BlockList, isIP } from 'node:net';

/** Splits `host[:port]`, `[v6]:port` or a bare IPv6 address into host and port. */
export function splitHostPort(hostPort: string): { host: string; port: string | undefined } {
  if (hostPort.startsWith('[')) {
    const end = hostPort.indexOf(']');
    const rest = hostPort.slice(end + 1);
    return { host: hostPort.slice(1, end), port: rest.startsWith(':') ? rest.slice(1) : undefined };
  }
  if (isIP(hostPort) === 6) return { host: hostPort, port: undefined };
  const colon = hostPort.lastIndexOf(':');
  return colon < 0 ? { host: hostPort, port: undefined } : { host: hostPort.slice(0, colon), port: hostPort.slice(colon + 1) };
}

function isLoopback(host: string): boolean {
  const lower = host.toLowerCase();
  if (lower === 'localhost' || lower.endsWith('.localhost') || lower === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

export class InsecurePolicy {
  private readonly names = new Set<string>();
  private readonly networks = new BlockList();

  constructor(entries: readonly string[] = []) {
    for (const entry of entries) this.add(entry);
  }

  private add(entry: string): void {
    const slash = entry.indexOf('/');
    if (slash > 0) {
      const address = entry.slice(0, slash);
      const family = isIP(address);
      const prefix = Number(entry.slice(slash + 1));
      if (family !== 0 && Number.isInteger(prefix)) {
        this.networks.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
        return;
      }
    }
    this.names.add(entry.toLowerCase());
  }

  /** Whether `hostPort` (a registry host as in a reference) may use HTTP and unverified TLS. */
  allows(hostPort: string): boolean {
    const { host } = splitHostPort(hostPort);
    if (isLoopback(host)) return true;
    if (this.names.has(hostPort.toLowerCase()) || this.names.has(host.toLowerCase())) return true;
    const family = isIP(host);
    return family !== 0 && this.networks.check(host, family === 6 ? 'ipv6' : 'ipv4');
  }
}
