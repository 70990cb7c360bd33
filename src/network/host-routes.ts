// The IPv4 destinations the host already routes (its LAN, VPNs, other bridges), read from
// /proc/net/route: a new network must not shadow any of them. The default route is skipped,
// since every subnet "overlaps" 0.0.0.0/0.
import { readFile } from 'node:fs/promises';
import type { Ipv4Net } from './cidr.js';

/** /proc/net/route prints addresses as the kernel's little-endian 32-bit hex words. */
function fromLittleEndianHex(hex: string): number {
  const value = Number.parseInt(hex, 16);
  return ((value & 0xff) * 2 ** 24 + ((value >>> 8) & 0xff) * 2 ** 16 + ((value >>> 16) & 0xff) * 2 ** 8 + ((value >>> 24) & 0xff));
}

function prefixOf(mask: number): number {
  let prefix = 0;
  while (prefix < 32 && Math.floor(mask / 2 ** (31 - prefix)) % 2 === 1) prefix++;
  return prefix;
}

/** The routed destinations, or only those on interface `iface`. */
export function parseRouteTable(text: string, iface?: string): Ipv4Net[] {
  const routes: Ipv4Net[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const destination = fields[1];
    const mask = fields[7];
    if (destination === undefined || mask === undefined || (iface !== undefined && fields[0] !== iface)) continue;
    const prefix = prefixOf(fromLittleEndianHex(mask));
    if (prefix === 0) continue;
    routes.push({ base: fromLittleEndianHex(destination), prefix });
  }
  return routes;
}

export async function hostRoutes(iface?: string): Promise<Ipv4Net[]> {
  const text = await readFile('/proc/net/route', 'utf8').catch(() => '');
  return parseRouteTable(text, iface);
}
