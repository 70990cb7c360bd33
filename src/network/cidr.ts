// IPv4 subnets as numbers: parsing, overlap, and the pool kiln picks networks from when the
// user names no subnet (docker's default address pools: 172.17-31.0.0/16, then 192.168.x.0/20).
import { KilnError } from '../util/errors.js';

export interface Ipv4Net {
  /** The network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function parseCidr(text: string): Ipv4Net {
  const [address, prefixText, extra] = text.split('/');
  const base = address === undefined ? undefined : parseIpv4(address);
  const prefix = Number(prefixText);
  if (base === undefined || extra !== undefined || !/^\d{1,2}$/.test(prefixText ?? '') || prefix > 32) {
    throw new KilnError('INVALID_ARGUMENT', `invalid subnet "${text}"`, { hint: 'use an IPv4 CIDR such as 10.10.0.0/24' });
  }
  if (prefix > 30) {
    throw new KilnError('INVALID_ARGUMENT', `subnet ${text} is too small`, { hint: 'a network needs at least a /30 (gateway and one container)' });
  }
  if (((base & maskOf(prefix)) >>> 0) !== base) {
    throw new KilnError('INVALID_ARGUMENT', `invalid subnet "${text}": host bits are set`, {
      hint: `use ${formatIpv4((base & maskOf(prefix)) >>> 0)}/${prefix}`,
    });
  }
  return { base, prefix };
}

export function formatCidr(net: Ipv4Net): string {
  return `${formatIpv4(net.base)}/${net.prefix}`;
}

export function overlaps(a: Ipv4Net, b: Ipv4Net): boolean {
  const mask = maskOf(Math.min(a.prefix, b.prefix));
  return ((a.base & mask) >>> 0) === ((b.base & mask) >>> 0);
}

/** The first host address, which the bridge takes as the containers' gateway. */
export function gatewayOf(net: Ipv4Net): string {
  return formatIpv4(net.base + 1);
}

/** The candidate subnets for networks created without --subnet, in the order docker tries them. */
export function* poolSubnets(): Generator<Ipv4Net> {
  for (let octet = 17; octet <= 31; octet++) yield { base: parseIpv4(`172.${octet}.0.0`) ?? 0, prefix: 16 };
  for (let third = 0; third < 256; third += 16) yield { base: parseIpv4(`192.168.${third}.0`) ?? 0, prefix: 20 };
}

export function firstFree(candidates: Iterable<Ipv4Net>, taken: readonly Ipv4Net[]): Ipv4Net | undefined {
  for (const candidate of candidates) {
    if (!taken.some((t) => overlaps(candidate, t))) return candidate;
  }
  return undefined;
}
