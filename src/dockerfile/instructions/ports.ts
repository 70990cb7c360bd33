// EXPOSE port words after expansion: `port[-end][/proto]`, with the legacy
// `[ip:]hostPort:containerPort` shapes still accepted (the ExposeInvalidFormat check warns
// about them). Each word becomes one `port/proto` entry per port of its range, proto
// lower-cased, as in BuildKit's convert_expose.go.
import { isIP } from 'node:net';

export class PortError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** The parts of one port word; `ip` and `hostPort` are empty for the normal form. */
export interface PortParts {
  ip: string;
  hostPort: string;
  containerPort: string;
  /** As written (may be upper-case; the ExposeProtoCasing check reads it). */
  proto: string;
}

const protoHint = 'protocols are tcp, udp and sctp, e.g. EXPOSE 53/udp';
const portHint = 'give a port number or a range between 0 and 65535, e.g. EXPOSE 8080 or EXPOSE 8000-8010/tcp';

export function splitPort(raw: string): PortParts {
  const parts = raw.split(':');
  const n = parts.length;
  const containerAndProto = parts[n - 1] ?? '';
  const hostPort = n >= 2 ? (parts[n - 2] ?? '') : '';
  const ip = n >= 3 ? parts.slice(0, n - 2).join(':') : '';
  const slash = containerAndProto.indexOf('/');
  const containerPort = slash === -1 ? containerAndProto : containerAndProto.slice(0, slash);
  const proto = slash === -1 ? '' : containerAndProto.slice(slash + 1);
  return { ip, hostPort, containerPort, proto };
}

/** `["80/tcp", ...]` for the port words; throws PortError for a malformed one. */
export function parsePorts(words: readonly string[]): string[] {
  return words.flatMap(parsePort);
}

export function parsePort(raw: string): string[] {
  const { ip, hostPort, containerPort, proto } = splitPort(raw);
  if (containerPort === '') throw new PortError(`invalid port "${raw}": no port specified`, portHint);
  const protocol = proto === '' ? 'tcp' : proto.toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(protocol)) throw new PortError(`invalid port "${raw}": invalid proto: ${proto}`, protoHint);
  const address = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  if (address !== '' && isIP(address) === 0) throw new PortError(`invalid port "${raw}": invalid IP address: ${ip}`, portHint);
  const [start, end] = portRange(raw, containerPort, 'containerPort');
  if (hostPort !== '') {
    const [hostStart, hostEnd] = portRange(raw, hostPort, 'hostPort');
    if (end - start !== hostEnd - hostStart && end !== start) {
      throw new PortError(`invalid port "${raw}": invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`, portHint);
    }
  }
  return Array.from({ length: end - start + 1 }, (_, i) => `${start + i}/${protocol}`);
}

function portRange(raw: string, text: string, what: string): [number, number] {
  const dash = text.indexOf('-');
  const startText = dash === -1 ? text : text.slice(0, dash);
  const endText = dash === -1 ? text : text.slice(dash + 1);
  const start = portNumber(startText);
  const end = startText === endText ? start : portNumber(endText);
  if (start === undefined || end === undefined || end < start) {
    throw new PortError(`invalid port "${raw}": invalid ${what}: ${text}`, portHint);
  }
  return [start, end];
}

function portNumber(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 0 && port <= 65535 ? port : undefined;
}
