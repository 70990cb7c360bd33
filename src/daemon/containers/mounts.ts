// The volumes and bind mounts of `run -v` and `run --mount`, parsed the way docker parses them.
//
// `-v` is docker's short form: `/ctr` (an anonymous volume), `NAME:/ctr` (a named volume),
// `/host:/ctr` (a bind, its host directory created when missing), each with an optional
// `:ro`, `:rw` or `:nocopy`. `--mount` is the CSV form: `type=bind|volume,source=..,target=..,
// readonly`, where a missing bind source is an error instead. Everything is checked before the
// container exists, so a bad spec leaves nothing behind. Once the rootfs is mounted they
// become the spec's bind mounts: volumes are created on first use and, while still empty,
// take the image's files at their mount point, as docker's local volumes do.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { isAbsolute, posix } from 'node:path';
import { promisify } from 'node:util';
import type { BindMount } from '../../executor/index.js';
import { resolveInRootfs } from '../../executor/root-file.js';
import { KilnError } from '../../util/errors.js';
import { anonymousVolumeLabel, validVolumeName, VolumeStore } from '../volumes/store.js';

export interface BindMountPoint {
  type: 'bind';
  /** Absolute host path. */
  source: string;
  destination: string;
  readonly: boolean;
  /** -v creates a missing host directory; --mount refuses it (checked when parsed). */
  createHostPath: boolean;
}

export interface VolumeMountPoint {
  type: 'volume';
  /** The volume's name; an anonymous volume gets a random 64-hex one. */
  name: string;
  destination: string;
  readonly: boolean;
  /** Named without a name: removed with a --rm container, as docker does. */
  anonymous: boolean;
  /** Whether a new, empty volume is left empty instead of taking the image's files. */
  noCopy: boolean;
}

export type MountPoint = BindMountPoint | VolumeMountPoint;

export interface MountFlags {
  volumes?: string[];
  mounts?: string[];
}

function specError(flag: '--volume' | '--mount', spec: string, reason: string): KilnError {
  const what = flag === '--volume' ? 'volume' : 'mount';
  return new KilnError('INVALID_ARGUMENT', `${flag}: invalid ${what} specification: '${spec}': ${reason}`, { details: { flag } });
}

export function anonymousVolumeName(): string {
  return randomBytes(32).toString('hex');
}

/** An absolute, normalised container path other than `/`, or an error naming the spec. */
function destinationOf(flag: '--volume' | '--mount', spec: string, path: string): string {
  if (!isAbsolute(path)) throw specError(flag, spec, `invalid mount path: '${path}' mount path must be absolute`);
  const normal = posix.normalize(path).replace(/(.)\/$/, '$1');
  if (normal === '/') throw specError(flag, spec, 'destination can\'t be \'/\'');
  return normal;
}

function sourceMount(flag: '--volume' | '--mount', spec: string, source: string, destination: string, readonly: boolean, noCopy: boolean): MountPoint {
  if (source.startsWith('/')) {
    return { type: 'bind', source: posix.normalize(source), destination, readonly, createHostPath: flag === '--volume' };
  }
  if (!validVolumeName(source)) {
    throw specError(flag, spec, `"${source}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed; if you intended to pass a host directory, use an absolute path`);
  }
  return { type: 'volume', name: source, destination, readonly, anonymous: false, noCopy };
}

/** docker run -v: `[SOURCE:]DESTINATION[:MODE[,MODE]]`. */
export function parseVolumeSpec(spec: string): MountPoint {
  const parts = spec.split(':');
  if (parts.length > 3 || parts.some((part) => part === '')) throw specError('--volume', spec, 'expected [SOURCE:]DESTINATION[:MODE] with no empty part');
  // As in docker, two parts are always SOURCE:DESTINATION (`/ctr:ro` is a bind onto `ro`).
  const [source, target = '', mode] = parts.length === 1 ? [undefined, parts[0], undefined] : parts;
  let readonly = false;
  let noCopy = false;
  for (const option of mode === undefined ? [] : mode.split(',')) {
    if (option === 'ro') readonly = true;
    else if (option === 'rw') readonly = false;
    else if (option === 'nocopy') noCopy = true;
    else throw specError('--volume', spec, `invalid mode: ${option}`);
  }
  const destination = destinationOf('--volume', spec, target);
  if (source === undefined) return { type: 'volume', name: anonymousVolumeName(), destination, readonly, anonymous: true, noCopy };
  return sourceMount('--volume', spec, source, destination, readonly, noCopy);
}

function booleanOption(spec: string, key: string, value: string | undefined): boolean {
  if (value === undefined || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw specError('--mount', spec, `invalid value for ${key}: ${value}`);
}

/** docker run --mount: comma-separated `key=value` fields. */
export function parseMountSpec(spec: string): MountPoint {
  let type = 'volume';
  let source: string | undefined;
  let target: string | undefined;
  let readonly = false;
  let noCopy = false;
  for (const field of spec.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq === -1 ? field : field.slice(0, eq)).trim().toLowerCase();
    const value = eq === -1 ? undefined : field.slice(eq + 1);
    if (key === 'readonly' || key === 'ro') readonly = booleanOption(spec, key, value);
    else if (key === 'volume-nocopy') noCopy = booleanOption(spec, key, value);
    else if (value === undefined || value === '') throw specError('--mount', spec, `invalid field '${field}' must be a key=value pair`);
    else if (key === 'type') type = value;
    else if (key === 'source' || key === 'src') source = value;
    else if (key === 'target' || key === 'destination' || key === 'dst') target = value;
    else throw specError('--mount', spec, `unexpected key '${key}' in '${field}'`);
  }
  if (type !== 'bind' && type !== 'volume') throw specError('--mount', spec, `mount type "${type}" is not supported, use bind or volume`);
  if (target === undefined) throw specError('--mount', spec, 'target is required');
  const destination = destinationOf('--mount', spec, target);
  if (type === 'bind') {
    if (source === undefined || !source.startsWith('/')) throw specError('--mount', spec, 'a bind mount needs an absolute source path');
    if (noCopy) throw specError('--mount', spec, 'volume-nocopy is only for volumes');
    return { type: 'bind', source: posix.normalize(source), destination, readonly, createHostPath: false };
  }
  if (source === undefined) return { type: 'volume', name: anonymousVolumeName(), destination, readonly, anonymous: true, noCopy };
  if (source.startsWith('/')) throw specError('--mount', spec, `"${source}" is not a volume name; use type=bind for a host path`);
  return sourceMount('--mount', spec, source, destination, readonly, noCopy);
}

async function checkBindSource(mount: BindMountPoint, spec: string): Promise<void> {
  if (mount.createHostPath) return;
  const exists = await stat(mount.source).then(() => true, (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return false;
    throw err;
  });
  if (!exists) throw specError('--mount', spec, `invalid mount config for type "bind": bind source path does not exist: ${mount.source}`);
}

/** Every -v then every --mount, with no two at one container path and every --mount bind source present. */
export async function parseContainerMounts(flags: MountFlags): Promise<MountPoint[]> {
  const parsed: [MountPoint, string, '--volume' | '--mount'][] = [
    ...(flags.volumes ?? []).map((spec): [MountPoint, string, '--volume'] => [parseVolumeSpec(spec), spec, '--volume']),
    ...(flags.mounts ?? []).map((spec): [MountPoint, string, '--mount'] => [parseMountSpec(spec), spec, '--mount']),
  ];
  const seen = new Set<string>();
  for (const [mount, spec, flag] of parsed) {
    if (seen.has(mount.destination)) throw specError(flag, spec, `Duplicate mount point: ${mount.destination}`);
    seen.add(mount.destination);
  }
  for (const [mount, spec] of parsed) if (mount.type === 'bind') await checkBindSource(mount, spec);
  return parsed.map(([mount]) => mount);
}

/**
 * Docker's volume copy: a volume that is still empty gets the image's files at its mount point,
 * owners, modes and links kept. The image path is resolved inside the rootfs, so a symlink in
 * the image cannot point the copy at the host.
 */
async function copyImageContent(rootfs: string, destination: string, data: string): Promise<void> {
  if ((await readdir(data)).length > 0) return;
  const source = await resolveInRootfs(rootfs, destination);
  const stats = await stat(source).catch(() => undefined);
  if (stats?.isDirectory() !== true) return;
  try {
    await promisify(execFile)('cp', ['-a', '--', `${source}/.`, `${data}/`]);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim() ?? String(err);
    throw new KilnError('INTERNAL', `copying the image's ${destination} into its volume failed: ${stderr}`, { cause: err });
  }
}

function bindOf(destination: string, source: string, readonly: boolean): BindMount {
  return { destination, source, type: 'bind', options: ['rbind', ...(readonly ? ['ro'] : []), 'rprivate'] };
}

/** The host side of each mount point, made ready: host directories of -v binds, volumes and their first content. */
export async function resolveMounts(root: string, rootfs: string, mounts: MountPoint[]): Promise<BindMount[]> {
  const volumes = new VolumeStore(root);
  const binds: BindMount[] = [];
  for (const mount of mounts) {
    if (mount.type === 'bind') {
      if (mount.createHostPath) await mkdir(mount.source, { recursive: true });
      binds.push(bindOf(mount.destination, mount.source, mount.readonly));
      continue;
    }
    await volumes.ensure(mount.name, mount.anonymous ? { [anonymousVolumeLabel]: '' } : {});
    const data = volumes.dataDir(mount.name);
    if (!mount.noCopy) await copyImageContent(rootfs, mount.destination, data);
    binds.push(bindOf(mount.destination, data, mount.readonly));
  }
  return binds;
}

/**
 * The per-container /etc files and the run's own mounts in the order runc must mount them: a
 * parent before what lies below it (docker sorts by depth), so a volume at /etc does not hide
 * /etc/hosts. An /etc file the run mounts itself is the run's.
 */
export function containerMounts(etc: BindMount[], own: BindMount[]): BindMount[] {
  const taken = new Set(own.map((mount) => mount.destination));
  const all = [...etc.filter((mount) => !taken.has(mount.destination)), ...own];
  const depth = (mount: BindMount): number => mount.destination.split('/').length;
  // Array sort is stable: mounts of one depth keep their order.
  return all.sort((a, b) => depth(a) - depth(b));
}

/** Names of the volumes the container was given without a name. */
/**
 * The image's VOLUMEs that the run's own mounts leave uncovered, each an anonymous volume as
 * docker gives them: new, filled with the image's files at that path, removed with a --rm
 * container.
 */
export function imageVolumeMounts(volumes: Record<string, unknown> | undefined, mounts: MountPoint[]): VolumeMountPoint[] {
  const taken = new Set(mounts.map((mount) => mount.destination));
  return Object.keys(volumes ?? {})
    .map((path) => posix.normalize(path).replace(/(.)\/$/, '$1'))
    .filter((destination) => posix.isAbsolute(destination) && destination !== '/' && !taken.has(destination))
    .map((destination) => ({ type: 'volume', name: anonymousVolumeName(), destination, readonly: false, anonymous: true, noCopy: false }));
}

export function anonymousVolumes(mounts: MountPoint[] | undefined): string[] {
  return (mounts ?? []).flatMap((mount) => (mount.type === 'volume' && mount.anonymous ? [mount.name] : []));
}
