// OCI platforms (`os[(osversion)]/arch[/variant]`) parsed and normalised the way containerd's
// platforms package does it, since BuildKit relies on it for `--platform`, FROM --platform
// and the BUILD*/TARGET* args: `x86_64` is amd64, `aarch64` is arm64 (v8 is implied and
// dropped), plain `arm` means arm/v7.
import { endianness } from 'node:os';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  osVersion?: string;
  osFeatures?: string[];
}

export class PlatformError extends Error {}

type OSPart = Omit<Platform, 'architecture' | 'variant'>;

const osPart = /^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.%-]*)((?:\+[A-Za-z0-9_.%-]+)*)\))?$/;
const otherPart = /^[A-Za-z0-9_.-]+$/;
const knownOS = new Set('aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd openbsd plan9 solaris windows zos'.split(' '));
const knownArch = new Set(
  ('386 amd64 amd64p32 arm armbe arm64 arm64be ppc64 ppc64le loong64 mips mipsle mips64 mips64le mips64p32 ' +
    'mips64p32le ppc riscv riscv64 s390 s390x sparc sparc64 wasm').split(' '),
);

/** containerd's platforms.Parse; `host` fills in what a one-word specifier leaves out. */
export function parsePlatform(specifier: string, host: Platform = hostPlatform()): Platform {
  if (specifier.includes('*')) throw new PlatformError(`"${specifier}": wildcards not yet supported`);
  const parts = specifier.split('/');
  const os = osPart.exec(parts[0] ?? '');
  if (os === null) throw new PlatformError(`"${parts[0] ?? ''}" is an invalid OS component of "${specifier}"`);
  for (const part of parts.slice(1)) {
    if (!otherPart.test(part)) throw new PlatformError(`"${part}" is an invalid component of "${specifier}"`);
  }
  const p: OSPart = { os: normalizeOS(os[1] ?? '', host) };
  if (os[2]) p.osVersion = decodeOption(os[2], specifier);
  if (os[3]) p.osFeatures = os[3].slice(1).split('+').map((f) => decodeOption(f, specifier));
  const [, arch = '', variant = ''] = parts;
  switch (parts.length) {
    case 1:
      return oneWord(specifier, p, parts[0] ?? '', host);
    case 2:
      return withArch(p, ...dropArmV7(...normalizeArch(arch, '')));
    case 3: {
      const [a, v] = normalizeArch(arch, variant);
      return withArch(p, a, a === 'arm64' && v === '' ? 'v8' : v);
    }
    default:
      throw new PlatformError(`"${specifier}": cannot parse platform specifier`);
  }
}

/** containerd's platforms.Normalize: canonical OS, architecture and variant names. */
export function normalizePlatform(p: Platform): Platform {
  const [architecture, variant] = normalizeArch(p.architecture, p.variant ?? '');
  const out: Platform = { ...p, os: normalizeOS(p.os, hostPlatform()), architecture };
  if (variant !== '') out.variant = variant;
  else delete out.variant;
  if (p.osFeatures !== undefined) out.osFeatures = [...new Set(p.osFeatures)].sort();
  return out;
}

/** `os/arch[/variant]` (containerd's Format). */
export function formatPlatform(p: Platform): string {
  if (p.os === '') return 'unknown';
  return [p.os, p.architecture, p.variant ?? ''].filter((s) => s !== '').join('/');
}

/** Like formatPlatform, with `(osversion+features)` after the OS when present (FormatAll). */
export function formatPlatformAll(p: Platform): string {
  const features = [...new Set(p.osFeatures ?? [])].filter((f) => f !== '').sort();
  if ((p.osVersion ?? '') === '' && features.length === 0) return formatPlatform(p);
  const encode = (v: string): string => v.replace(/%/g, '%25').replace(/\+/g, '%2B').replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/\//g, '%2F');
  const options = encode(p.osVersion ?? '') + (features.length > 0 ? `+${features.map(encode).join('+')}` : '');
  return formatPlatform({ ...p, os: `${p.os}(${options})` });
}

/** This machine as an OCI platform, normalised (what BuildKit's worker reports). */
export function hostPlatform(arch: string = process.arch, os: string = process.platform): Platform {
  const ociOS = os === 'win32' ? 'windows' : os === 'sunos' ? 'solaris' : os;
  switch (arch) {
    case 'x64': return { os: ociOS, architecture: 'amd64' };
    case 'ia32': return { os: ociOS, architecture: '386' };
    case 'arm': return { os: ociOS, architecture: 'arm', variant: `v${armVersion()}` };
    case 'ppc64': return { os: ociOS, architecture: endianness() === 'LE' ? 'ppc64le' : 'ppc64' };
    case 'mipsel': return { os: ociOS, architecture: 'mipsle' };
    default: return { os: ociOS, architecture: arch };
  }
}

function armVersion(): string {
  const variables = (process.config as { variables?: Record<string, unknown> }).variables;
  const version = variables?.['arm_version'];
  return typeof version === 'string' && /^[5-8]$/.test(version) ? version : '7';
}

function oneWord(specifier: string, p: OSPart, word: string, host: Platform): Platform {
  if (knownOS.has(p.os)) {
    const variant = host.architecture === 'arm' && host.variant !== 'v7' ? (host.variant ?? '') : '';
    return withArch(p, host.architecture, variant);
  }
  const [arch, variant] = dropArmV7(...normalizeArch(word, ''));
  if (!knownArch.has(arch)) throw new PlatformError(`"${specifier}": unknown operating system or architecture`);
  return withArch({ os: host.os }, arch, variant);
}

function decodeOption(value: string, specifier: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new PlatformError(`"${specifier}" has an invalid OS option "${value}"`);
  }
}

function withArch(p: OSPart, architecture: string, variant: string): Platform {
  return variant === '' ? { ...p, architecture } : { ...p, architecture, variant };
}

function dropArmV7(arch: string, variant: string): [string, string] {
  return arch === 'arm' && variant === 'v7' ? [arch, ''] : [arch, variant];
}

function normalizeOS(os: string, host: Platform): string {
  if (os === '') return host.os;
  const lower = os.toLowerCase();
  return lower === 'macos' ? 'darwin' : lower;
}

function normalizeArch(arch: string, variant: string): [string, string] {
  const a = arch.toLowerCase();
  const v = variant.toLowerCase();
  switch (a) {
    case 'i386': return ['386', ''];
    case 'x86_64': case 'x86-64': case 'amd64': return ['amd64', v === 'v1' ? '' : v];
    case 'aarch64': case 'arm64': return ['arm64', ['8', 'v8', 'v8.0'].includes(v) ? '' : ['9', '9.0', 'v9.0'].includes(v) ? 'v9' : v];
    case 'armhf': return ['arm', 'v7'];
    case 'armel': return ['arm', 'v6'];
    case 'arm': return ['arm', v === '' || v === '7' ? 'v7' : ['5', '6', '8'].includes(v) ? `v${v}` : v];
    default: return [a, v];
  }
}
