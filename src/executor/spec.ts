// Building a container's OCI runtime spec the way Docker builds its default one for an
// unprivileged Linux container: the namespaces, capabilities, masked paths and kernel
// mounts of spec-defaults.ts, plus what this run asks for (process, user, rootfs, network,
// binds, cgroup limits). The result is plain data, written to config.json by runc.ts.
import { isAbsolute } from 'node:path';
import { KilnError } from '../util/errors.js';
import {
  defaultCapabilities, defaultDeviceRules, defaultMounts, defaultPath, defaultRlimits, maskedPaths,
  networkNamespaceSysctls, readonlyPaths,
} from './spec-defaults.js';
import { ociVersion, type OCILinux, type OCIMount, type OCINamespace, type OCIProcess, type OCIResources, type OCISpec } from './oci-spec.js';
import type { ResolvedUser } from './user.js';

export type { OCISpec } from './oci-spec.js';

export interface ProcessSpec {
  args: string[];
  /** `KEY=value` entries, the image's ENV followed by the run's own. */
  env: string[];
  cwd: string;
  /** As in a Dockerfile's USER: `name`, `uid`, `name:group`, `uid:gid`; empty means root. */
  user: string;
  tty?: boolean;
}

/** A mount the container gets on top of its root: a bind of a host path, or a tmpfs (RUN --mount=type=tmpfs). */
export interface BindMount {
  destination: string;
  /** An absolute host path for a bind; `tmpfs` for a tmpfs. */
  source: string;
  type: 'bind' | 'tmpfs';
  options: string[];
}

export type NetworkMode = { mode: 'none' } | { mode: 'host' } | { mode: 'netns'; path: string };

/** A filesystem runc mounts over the container's root before anything else. */
export interface RootMount {
  type: string;
  source: string;
  options: string[];
}

export interface SpecOptions {
  process: ProcessSpec;
  /** Absolute path of the rootfs: mounted already, or an empty directory `rootMount` goes on. */
  rootfs: string;
  /**
   * The image's layers as an overlay that runc itself mounts at / inside the container's mount
   * namespace: the host never sees the mount, so there is nothing to unmount, even after a crash.
   */
  rootMount?: RootMount;
  readonlyRootfs?: boolean;
  hostname: string;
  /** Volumes, binds and the per-container /etc files. */
  mounts?: BindMount[];
  network: NetworkMode;
  memoryBytes?: number;
  cpus?: number;
  /** runc's cgroupsPath; relative paths are under runc's own cgroup, the default is `<id>` there. */
  cgroupsPath?: string;
}

/** Docker refuses memory limits below 6 MiB: the runtime itself would not fit. */
const minimumMemoryBytes = 6 * 1024 * 1024;
/** The CFS period Docker uses for --cpus. */
const cpuPeriod = 100_000;

function invalid(message: string, hint?: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', message, hint === undefined ? {} : { hint });
}

function envKey(entry: string): string {
  const equals = entry.indexOf('=');
  return equals === -1 ? entry : entry.slice(0, equals);
}

/**
 * Docker's container environment: PATH, HOSTNAME (and TERM=xterm with a terminal) first, then
 * the process's entries, each replacing an earlier entry of the same name in place; HOME from
 * the user when still unset.
 */
export function containerEnv(env: string[], hostname: string, home: string, tty = false): string[] {
  const merged = [`PATH=${defaultPath}`, `HOSTNAME=${hostname}`, ...(tty ? ['TERM=xterm'] : [])];
  for (const entry of env) {
    const at = merged.findIndex((existing) => envKey(existing) === envKey(entry));
    if (at === -1) merged.push(entry);
    else merged[at] = entry;
  }
  if (!merged.some((entry) => envKey(entry) === 'HOME')) merged.push(`HOME=${home}`);
  return merged;
}

function namespaces(network: NetworkMode): OCINamespace[] {
  const list: OCINamespace[] = [{ type: 'pid' }];
  if (network.mode === 'none') list.push({ type: 'network' });
  if (network.mode === 'netns') list.push({ type: 'network', path: network.path });
  list.push({ type: 'ipc' }, { type: 'uts' }, { type: 'mount' });
  return list;
}

function resources(options: SpecOptions): OCIResources {
  const result: OCIResources = { devices: defaultDeviceRules() };
  const { memoryBytes, cpus } = options;
  if (memoryBytes !== undefined) {
    if (!Number.isSafeInteger(memoryBytes) || memoryBytes < minimumMemoryBytes) {
      throw invalid(`memory limit ${memoryBytes} is invalid`, 'the minimum memory limit is 6 MiB (6291456 bytes)');
    }
    result.memory = { limit: memoryBytes };
  }
  if (cpus !== undefined) {
    const quota = Math.round(cpus * cpuPeriod);
    if (!Number.isFinite(cpus) || quota < 1000) throw invalid(`cpus ${cpus} is invalid`, 'use a value of at least 0.01');
    result.cpu = { quota, period: cpuPeriod };
  }
  return result;
}

/** The root mount, then kernel mounts minus those a bind replaces, then the binds in the order given. */
function mounts(binds: BindMount[], root: RootMount | undefined): OCIMount[] {
  for (const bind of binds) {
    if (!isAbsolute(bind.destination) || (bind.type === 'bind' && !isAbsolute(bind.source))) {
      throw invalid(`bind mount ${bind.source}:${bind.destination} must use absolute paths`);
    }
  }
  const replaced = new Set(binds.map((bind) => bind.destination));
  const kernel = defaultMounts().filter((mount) => !replaced.has(mount.destination));
  const rootMounts = root === undefined ? [] : [{ destination: '/', type: root.type, source: root.source, options: [...root.options] }];
  return [...rootMounts, ...kernel, ...binds.map((bind) => ({ ...bind, options: [...bind.options] }))];
}

function linux(options: SpecOptions): OCILinux {
  const result: OCILinux = {
    namespaces: namespaces(options.network),
    resources: resources(options),
    maskedPaths: [...maskedPaths],
    readonlyPaths: [...readonlyPaths],
  };
  if (options.cgroupsPath !== undefined) result.cgroupsPath = options.cgroupsPath;
  if (options.network.mode !== 'host') result.sysctl = { ...networkNamespaceSysctls };
  return result;
}

/**
 * The OCI process of a container's init, or of an exec in it (runc exec --process): the same
 * capabilities and rlimits either way, as docker gives an exec its container's.
 */
export function ociProcess(process: ProcessSpec, hostname: string, user: ResolvedUser): OCIProcess {
  if (process.args.length === 0) throw invalid('no command given to run', 'set CMD or ENTRYPOINT, or pass a command');
  if (!isAbsolute(process.cwd)) throw invalid(`working directory "${process.cwd}" is not an absolute path`);
  const capabilities = [...defaultCapabilities];
  const tty = process.tty ?? false;
  return {
    terminal: tty,
    user: { uid: user.uid, gid: user.gid, additionalGids: [...user.additionalGids] },
    args: [...process.args],
    env: containerEnv(process.env, hostname, user.home, tty),
    cwd: process.cwd,
    capabilities: { bounding: capabilities, effective: [...capabilities], permitted: [...capabilities] },
    rlimits: defaultRlimits.map((limit) => ({ ...limit })),
    noNewPrivileges: false,
  };
}

export function buildSpec(options: SpecOptions, user: ResolvedUser): OCISpec {
  if (!isAbsolute(options.rootfs)) throw invalid(`rootfs "${options.rootfs}" is not an absolute path`);
  return {
    ociVersion,
    process: ociProcess(options.process, options.hostname, user),
    root: { path: options.rootfs, readonly: options.readonlyRootfs ?? false },
    hostname: options.hostname,
    mounts: mounts(options.mounts ?? [], options.rootMount),
    linux: linux(options),
  };
}
