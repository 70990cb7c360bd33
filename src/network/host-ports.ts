// Host ports for published container ports. portmap only installs DNAT rules, which would
// silently steal a port some host process listens on (or one another container publishes),
// so attach() first claims each port the way docker-proxy would: binding it briefly. An
// unspecified host port (0) is resolved here to a free ephemeral port.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { KilnError } from '../util/errors.js';
import type { EndpointRecord } from './endpoints.js';
import type { PortMapping } from './types.js';

const ANY = '0.0.0.0';

function bindTcp(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

function bindUdp(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind({ address: host, port, exclusive: true }, () => {
      const bound = socket.address().port;
      socket.close(() => resolve(bound));
    });
  });
}

function portLabel(mapping: PortMapping): string {
  return `${mapping.hostIP ?? ANY}:${mapping.hostPort}/${mapping.protocol}`;
}

function sameHostPort(a: PortMapping, b: PortMapping): boolean {
  const ipA = a.hostIP ?? ANY;
  const ipB = b.hostIP ?? ANY;
  return a.protocol === b.protocol && a.hostPort === b.hostPort && (ipA === ipB || ipA === ANY || ipB === ANY);
}

function portTaken(mapping: PortMapping, detail: string): KilnError {
  return new KilnError('CONFLICT', `Bind for ${portLabel(mapping)} failed: port ${mapping.hostPort} is already allocated (${detail})`, {
    hint: `publish another host port, or stop what uses port ${mapping.hostPort}`,
  });
}

/** The mappings with every host port checked free and every 0 replaced by a free port. */
export async function claimHostPorts(mappings: readonly PortMapping[], endpoints: readonly EndpointRecord[]): Promise<PortMapping[]> {
  const claimed: PortMapping[] = [];
  for (const mapping of mappings) {
    const host = mapping.hostIP ?? ANY;
    let port: number;
    try {
      port = await (mapping.protocol === 'tcp' ? bindTcp : bindUdp)(host, mapping.hostPort);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES') throw portTaken(mapping, `a host process holds it: ${code}`);
      if (code === 'EADDRNOTAVAIL') {
        throw new KilnError('INVALID_ARGUMENT', `cannot publish on ${host}: the host has no such address`);
      }
      throw err;
    }
    const resolved: PortMapping = { ...mapping, hostPort: port };
    const owner = endpoints.find((e) => e.ports.some((p) => sameHostPort(p, resolved)));
    if (owner) throw portTaken(resolved, `published by container ${owner.containerId.slice(0, 12)}`);
    if (claimed.some((p) => sameHostPort(p, resolved))) throw portTaken(resolved, 'published twice');
    claimed.push(resolved);
  }
  return claimed;
}
