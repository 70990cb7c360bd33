// The per-container /etc/hosts, /etc/resolv.conf and /etc/hostname. Like Docker, kiln writes
// them into the container's own directory and bind-mounts them over the image's, so the image
// is never edited and each container gets its own copies.
//
// - hosts: Docker's localhost block, then the extra hosts (--add-host), then the container's
//   name. Without an address of its own (network none, or a namespace kiln did not set up)
//   the name maps to 127.0.0.1, as BuildKit does. With the host's network, the host's own
//   /etc/hosts is the base instead, as Docker does.
// - resolv.conf: the host's. In a network namespace of its own the host's loopback resolvers
//   (127.x, ::1 — systemd-resolved, dnsmasq) are unreachable, so Docker drops them and, when
//   no nameserver is left, falls back to Google's public ones; with the host's network it is
//   kept as it is.
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StatCache } from '../util/stat-cache.js';
import type { BindMount, NetworkMode } from './spec.js';

export interface ExtraHost {
  host: string;
  ip: string;
}

export interface EtcFilesOptions {
  /** Directory the files are written to (the container's directory). */
  dir: string;
  hostname: string;
  network: NetworkMode;
  /** The container's own IP address, when its network gave it one. */
  address?: string;
  extraHosts?: ExtraHost[];
  /** Where the host's files are read from; tests point these elsewhere. */
  hostResolvConf?: string;
  hostHosts?: string;
}

const localhostBlock = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

const fallbackNameservers = ['8.8.8.8', '8.8.4.4'];

/**
 * The host's files as last read: every run of a long-lived engine needs them, and a stat shows
 * whether they changed (resolvconf and systemd-resolved replace them).
 */
const hostFiles = new StatCache<string>(8);

async function readOptional(path: string): Promise<string> {
  const text = await hostFiles.read(path, (file) => readFile(file, 'utf8').catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }));
  return text ?? '';
}

function withNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

export async function hostsContent(options: EtcFilesOptions): Promise<string> {
  const extra = (options.extraHosts ?? []).map(({ host, ip }) => `${ip}\t${host}`);
  if (options.network.mode === 'host') {
    const base = withNewline(await readOptional(options.hostHosts ?? '/etc/hosts'));
    return base + extra.map((line) => `${line}\n`).join('');
  }
  const self = `${options.address ?? '127.0.0.1'}\t${options.hostname}`;
  return [...localhostBlock, ...extra, self].map((line) => `${line}\n`).join('');
}

function isLoopbackNameserver(line: string): boolean {
  const match = /^\s*nameserver\s+(\S+)/.exec(line);
  const address = match?.[1];
  return address !== undefined && (address.startsWith('127.') || address === '::1');
}

/** The host's resolv.conf as a container in its own network namespace can use it. */
export function filterResolvConf(hostText: string): string {
  const lines = hostText.split('\n').filter((line) => !isLoopbackNameserver(line));
  const kept = withNewline(lines.join('\n').replace(/\n+$/, ''));
  if (lines.some((line) => /^\s*nameserver\s/.test(line))) return kept;
  return kept + fallbackNameservers.map((ip) => `nameserver ${ip}\n`).join('');
}

export async function resolvConfContent(options: EtcFilesOptions): Promise<string> {
  const hostText = await readOptional(options.hostResolvConf ?? '/etc/resolv.conf');
  return options.network.mode === 'host' ? withNewline(hostText) : filterResolvConf(hostText);
}

function bind(destination: string, source: string): BindMount {
  return { destination, source, type: 'bind', options: ['rbind', 'rprivate'] };
}

async function writeEtcFile(dir: string, name: string, content: string | Promise<string>): Promise<BindMount> {
  const source = join(dir, name);
  // A few hundred bytes, written synchronously: they are on every container start (see
  // snapshot/remove-tree.ts on thread-pool round trips).
  writeFileSync(source, await content, { mode: 0o644 });
  return bind(`/etc/${name}`, source);
}

/** Writes hosts, resolv.conf and hostname into `dir`, side by side; returns their bind mounts. */
export async function writeEtcFiles(options: EtcFilesOptions): Promise<BindMount[]> {
  return Promise.all([
    writeEtcFile(options.dir, 'hosts', hostsContent(options)),
    writeEtcFile(options.dir, 'resolv.conf', resolvConfContent(options)),
    writeEtcFile(options.dir, 'hostname', `${options.hostname}\n`),
  ]);
}
