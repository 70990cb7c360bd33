// docker's -p / --publish syntax: [hostIP:][hostPort:]containerPort[/protocol], where either
// port may be a range (8000-8009) and an IPv6 host address is bracketed ([::1]:8080:80).
// A missing host port means "any free port" (hostPort 0, resolved by attach()).
import { KilnError } from '../util/errors.js';
import type { PortMapping } from './types.js';

function invalid(spec: string, why: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `invalid publish spec "${spec}": ${why}`, {
    hint: 'use [IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp], e.g. 8080:80 or 127.0.0.1:8080:80/udp',
    details: { flag: '--publish' },
  });
}

function parseRange(spec: string, text: string): [number, number] {
  const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  const start = Number(match?.[1]);
  const end = match?.[2] === undefined ? start : Number(match[2]);
  if (!match || start < 1 || end > 65535 || end < start) throw invalid(spec, `invalid port "${text}"`);
  return [start, end];
}

/** Splits off the host IP, which may itself contain colons when bracketed. */
function splitHostIP(spec: string, rest: string): { hostIP?: string; ports: string } {
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']:');
    if (close === -1) throw invalid(spec, 'unterminated [IPv6 address]');
    return { hostIP: rest.slice(1, close), ports: rest.slice(close + 2) };
  }
  const parts = rest.split(':');
  if (parts.length > 3) throw invalid(spec, 'too many colons');
  if (parts.length === 3) return { hostIP: parts[0] ?? '', ports: `${parts[1]}:${parts[2]}` };
  return { ports: rest };
}

export function parsePublish(spec: string): PortMapping[] {
  const slash = spec.lastIndexOf('/');
  const protocolText = slash === -1 ? 'tcp' : spec.slice(slash + 1).toLowerCase();
  if (protocolText !== 'tcp' && protocolText !== 'udp') throw invalid(spec, `unsupported protocol "${protocolText}"`);
  const { hostIP, ports } = splitHostIP(spec, slash === -1 ? spec : spec.slice(0, slash));
  const colon = ports.lastIndexOf(':');
  const hostText = colon === -1 ? '' : ports.slice(0, colon);
  const [containerStart, containerEnd] = parseRange(spec, ports.slice(colon + 1));
  const count = containerEnd - containerStart + 1;
  let hostStart = 0;
  if (hostText !== '') {
    const [start, end] = parseRange(spec, hostText);
    if (end - start + 1 !== count) throw invalid(spec, 'the host and container port ranges differ in length');
    hostStart = start;
  }
  const mappings: PortMapping[] = [];
  for (let i = 0; i < count; i++) {
    mappings.push({
      ...(hostIP === undefined || hostIP === '' ? {} : { hostIP }),
      hostPort: hostStart === 0 ? 0 : hostStart + i,
      containerPort: containerStart + i,
      protocol: protocolText,
    });
  }
  return mappings;
}
