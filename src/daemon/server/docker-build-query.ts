// The query of `POST /build` (engine-api.md §3.3). A 20.10 client sends every parameter, a
// current one only those that differ from the default, so a missing one means its default
// (trap 10: a missing `rm` is true). Parameters kiln's build has no use for are accepted with
// their default values and refused otherwise, rather than silently ignored; `version=2` asks
// for BuildKit's session protocol, which kiln does not serve.
import { formatPlatform, hostPlatform, normalizePlatform, parsePlatform, PlatformError } from '../../image/index.js';
import { familiarName, parseNormalizedReference, withDefaultTag } from '../../registry/reference.js';
import { KilnError } from '../../util/errors.js';

export interface DockerBuildQuery {
  /** `t`: the names as given. */
  tags: string[];
  /** The same in docker's short form with the default tag: what "Successfully tagged" prints. */
  shownTags: string[];
  /** `dockerfile`: a path inside the context. */
  dockerfile: string;
  /** `buildargs` without the null values (`--build-arg NAME` unset on the client: the ARG's default). */
  buildArgs: Record<string, string>;
  /** `labels`, added to the image as a LABEL after the Dockerfile's last instruction, as dockerd does. */
  labels: Record<string, string>;
  target?: string;
  noCache: boolean;
  /** `q`: only the image ID is sent. */
  quiet: boolean;
  /** `rm`: the intermediate containers go away (there are none in kiln; it is said as dockerd says it). */
  removeIntermediate: boolean;
  /** `pull`: look for a newer version of every base image first. */
  pull: boolean;
}

function invalid(message: string, hint?: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', message, hint === undefined ? {} : { hint });
}

/** dockerd's BoolValue: absent, empty, 0, no, false and none are false. */
function flag(query: URLSearchParams, name: string, fallback = false): boolean {
  const raw = query.get(name);
  if (raw === null) return fallback;
  return !['', '0', 'no', 'false', 'none'].includes(raw.trim().toLowerCase());
}

function jsonParam(query: URLSearchParams, name: string): unknown {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (err) {
    throw invalid(`invalid ${name} parameter: ${(err as Error).message}`, `${name} is a URL-encoded JSON object, e.g. {"NAME":"value"}`);
  }
}

/** A JSON object of strings; `keepNull` false drops null values, true reads them as "". */
function stringMap(query: URLSearchParams, name: string, keepNull: boolean): Record<string, string> {
  const value = jsonParam(query, name);
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(`invalid ${name} parameter: not a JSON object`);
  const map: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null) {
      if (keepNull) map[key] = '';
      continue;
    }
    if (typeof item !== 'string') throw invalid(`invalid ${name} parameter: the value of ${JSON.stringify(key)} is not a string`);
    map[key] = item;
  }
  return map;
}

const isEmpty = (value: string): boolean => value === '';
const isZero = (value: string): boolean => value === '' || value === '0';
const isEmptyList = (value: string): boolean => ['', 'null', '[]', '{}'].includes(value.trim());

/** Parameters kiln's build takes only at their default, with why. */
const defaultsOnly: ReadonlyArray<[name: string, isDefault: (value: string) => boolean, why: string]> = [
  ['remote', isEmpty, 'a remote context (Git repository or URL) is not supported: send the context in the request body'],
  ['networkmode', (v) => ['', 'default', 'bridge'].includes(v), 'kiln builds with the default network; set RUN --network in the Dockerfile instead'],
  ['extrahosts', isEmpty, 'extra hosts (--add-host) are not supported by kiln builds'],
  ['squash', (v) => !['1', 'true'].includes(v.toLowerCase()), '--squash is not supported'],
  ['isolation', (v) => ['', 'default'].includes(v), 'isolation modes are not supported'],
  ['cgroupparent', isEmpty, '--cgroup-parent is not supported by kiln builds'],
  ['cpusetcpus', isEmpty, 'CPU and memory limits are not supported by kiln builds'],
  ['cpusetmems', isEmpty, 'CPU and memory limits are not supported by kiln builds'],
  ['cpushares', isZero, 'CPU and memory limits are not supported by kiln builds'],
  ['cpuperiod', isZero, 'CPU and memory limits are not supported by kiln builds'],
  ['cpuquota', isZero, 'CPU and memory limits are not supported by kiln builds'],
  ['memory', isZero, 'CPU and memory limits are not supported by kiln builds'],
  ['memswap', (v) => isZero(v) || v === '-1', 'CPU and memory limits are not supported by kiln builds'],
  ['shmsize', isZero, '--shm-size is not supported by kiln builds'],
  ['ulimits', isEmptyList, '--ulimit is not supported by kiln builds'],
  ['outputs', isEmptyList, 'build outputs are not supported by the classic builder; use kiln build --output'],
];

function checkDefaults(query: URLSearchParams): void {
  for (const [name, isDefault, why] of defaultsOnly) {
    const value = query.get(name);
    if (value !== null && !isDefault(value)) throw invalid(`unsupported ${name}=${value}: ${why}`);
  }
  const platform = query.get('platform') ?? '';
  if (platform === '') return;
  const host = formatPlatform(normalizePlatform(hostPlatform()));
  let asked: string;
  try {
    asked = formatPlatform(normalizePlatform(parsePlatform(platform)));
  } catch (err) {
    if (!(err instanceof PlatformError)) throw err;
    throw invalid(`invalid platform ${JSON.stringify(platform)}: ${err.message}`);
  }
  if (asked !== host) throw invalid(`unsupported platform ${asked}: kiln builds for this machine's platform, ${host}`);
}

function tagsOf(query: URLSearchParams): { tags: string[]; shownTags: string[] } {
  const tags = query.getAll('t').filter((tag) => tag !== '');
  const shownTags = tags.map((tag) => {
    const ref = parseNormalizedReference(tag);
    if (ref.digest !== undefined) throw invalid(`invalid tag ${JSON.stringify(tag)}: a tag cannot carry a digest`);
    return familiarName(withDefaultTag(ref));
  });
  return { tags, shownTags };
}

export function parseBuildQuery(query: URLSearchParams): DockerBuildQuery {
  const version = query.get('version') ?? '';
  if (version !== '' && version !== '1') {
    throw invalid(`builder version ${version} (BuildKit) is not supported: kiln serves the classic builder; build with DOCKER_BUILDKIT=0`, 'or build with kiln build');
  }
  checkDefaults(query);
  const labels = stringMap(query, 'labels', true);
  for (const [key, value] of Object.entries(labels)) {
    if (/[\r\n]/.test(key + value)) throw invalid(`invalid labels parameter: the label ${JSON.stringify(key)} spans several lines`);
  }
  const target = query.get('target') ?? '';
  // Only checked for form: kiln's build cache is its own, images named here add nothing to it.
  jsonParam(query, 'cachefrom');
  return {
    ...tagsOf(query),
    dockerfile: query.get('dockerfile') || 'Dockerfile',
    buildArgs: stringMap(query, 'buildargs', false),
    labels,
    ...(target === '' ? {} : { target }),
    noCache: flag(query, 'nocache'),
    quiet: flag(query, 'q'),
    removeIntermediate: flag(query, 'rm', true),
    pull: flag(query, 'pull'),
  };
}
