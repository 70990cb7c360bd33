// The body of the Engine API's `POST /containers/create` (docker run's and docker create's flags
// as a container Config with a HostConfig), read into the RunOptions kiln's own run takes. Only
// the shapes are checked here, naming the field of a 400; what the values mean (a bad volume
// spec, an unknown network) is createContainer's to judge. Fields kiln has no use for (c28 sends
// newer ones even at API 1.41) are ignored; a few it cannot honour come back as Warnings.
import type { RunOptions } from '../containers/run.js';
import { KilnError } from '../../util/errors.js';
import { restartPolicyText } from '../containers/restart-policy.js';

type Json = Record<string, unknown>;

function invalid(field: string, what: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `invalid container config: ${field} must be ${what}`);
}

function objectAt(parent: Json, key: string, field = key): Json | undefined {
  const value = parent[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(field, 'an object');
  return value as Json;
}

function stringAt(parent: Json, key: string, field = key): string | undefined {
  const value = parent[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(field, 'a string');
  return value;
}

function booleanAt(parent: Json, key: string, field = key): boolean {
  const value = parent[key];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw invalid(field, 'a boolean');
  return value;
}

function numberAt(parent: Json, key: string, field = key): number | undefined {
  const value = parent[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(field, 'a number');
  return value;
}

/** docker's StrSlice: a list of strings, or one string standing for a list of one. */
function stringsAt(parent: Json, key: string, field = key): string[] | undefined {
  const value = parent[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw invalid(field, 'a list of strings');
  return value as string[];
}

/** A set as docker writes it (`{"80/tcp": {}}`): its keys. */
function setAt(parent: Json, key: string, field = key): string[] {
  return Object.keys(objectAt(parent, key, field) ?? {});
}

function labelsAt(parent: Json, key: string): Record<string, string> | undefined {
  const labels = objectAt(parent, key);
  if (labels === undefined) return undefined;
  if (!Object.values(labels).every((value) => typeof value === 'string')) throw invalid(key, 'a map of strings');
  return labels as Record<string, string>;
}

/** HostConfig.PortBindings (`{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}`) as -p specs. */
function publishSpecs(host: Json): string[] {
  const bindings = objectAt(host, 'PortBindings', 'HostConfig.PortBindings') ?? {};
  return Object.entries(bindings).flatMap(([port, list]) => {
    if (list === null) return [port];
    if (!Array.isArray(list)) throw invalid(`HostConfig.PortBindings["${port}"]`, 'a list of bindings');
    return list.map((binding: unknown) => {
      if (typeof binding !== 'object' || binding === null) throw invalid(`HostConfig.PortBindings["${port}"]`, 'a list of bindings');
      const ip = stringAt(binding as Json, 'HostIp', 'HostIp') ?? '';
      const hostPort = stringAt(binding as Json, 'HostPort', 'HostPort') ?? '';
      if (ip === '') return hostPort === '' ? port : `${hostPort}:${port}`;
      return `${ip.includes(':') ? `[${ip}]` : ip}:${hostPort}:${port}`;
    });
  });
}

/** HostConfig.Mounts entries (`{"Type","Source","Target","ReadOnly"}`) as --mount specs. */
function mountSpecs(host: Json): string[] {
  const mounts = host['Mounts'];
  if (mounts === undefined || mounts === null) return [];
  if (!Array.isArray(mounts)) throw invalid('HostConfig.Mounts', 'a list of mounts');
  return mounts.map((mount: unknown, at) => {
    const field = `HostConfig.Mounts[${at}]`;
    if (typeof mount !== 'object' || mount === null || Array.isArray(mount)) throw invalid(field, 'an object');
    const entry = mount as Json;
    const fields = [`type=${stringAt(entry, 'Type', `${field}.Type`) ?? 'volume'}`, `target=${stringAt(entry, 'Target', `${field}.Target`) ?? ''}`];
    const source = stringAt(entry, 'Source', `${field}.Source`) ?? '';
    if (source !== '') fields.push(`source=${source}`);
    if (booleanAt(entry, 'ReadOnly', `${field}.ReadOnly`)) fields.push('readonly');
    if (booleanAt(objectAt(entry, 'VolumeOptions', `${field}.VolumeOptions`) ?? {}, 'NoCopy', `${field}.VolumeOptions.NoCopy`)) fields.push('volume-nocopy');
    if (fields.some((text) => text.slice(text.indexOf('=') + 1).includes(','))) throw invalid(field, 'free of commas');
    return fields.join(',');
  });
}

/** HostConfig.NetworkMode: "default" (or nothing) is the default bridge; other containers' namespaces are not shared. */
function networkOf(host: Json): string | undefined {
  const mode = stringAt(host, 'NetworkMode', 'HostConfig.NetworkMode') ?? '';
  if (mode === '' || mode === 'default') return undefined;
  if (mode.startsWith('container:')) throw new KilnError('INVALID_ARGUMENT', `network mode ${mode} is not supported: kiln does not share network namespaces between containers`);
  return mode;
}

/** What kiln cannot do as asked, said back in the response's Warnings. */
function warningsOf(host: Json): string[] {
  const warnings: string[] = [];
  if (booleanAt(host, 'Privileged', 'HostConfig.Privileged')) warnings.push('kiln does not run privileged containers: the container runs with the default capabilities');
  return warnings;
}

export interface DockerCreate {
  options: RunOptions;
  warnings: string[];
}

export function parseCreateBody(body: unknown, name: string | undefined): DockerCreate {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new KilnError('INVALID_ARGUMENT', 'invalid container config: the body must be a JSON object');
  const config = body as Json;
  const host = objectAt(config, 'HostConfig') ?? {};
  const image = stringAt(config, 'Image') ?? '';
  if (image === '') throw new KilnError('INVALID_ARGUMENT', 'invalid container config: Image is required');
  const entrypoint = stringsAt(config, 'Entrypoint');
  // A bare name (no `=`) is a variable the client did not have: dockerd leaves it unset.
  const env = (stringsAt(config, 'Env') ?? []).filter((entry) => entry.includes('='));
  const binds = stringsAt(host, 'Binds', 'HostConfig.Binds') ?? [];
  const mounts = mountSpecs(host);
  const memory = numberAt(host, 'Memory', 'HostConfig.Memory') ?? 0;
  const nanoCpus = numberAt(host, 'NanoCpus', 'HostConfig.NanoCpus') ?? 0;
  const stopTimeout = numberAt(config, 'StopTimeout');
  const restartPolicy = objectAt(host, 'RestartPolicy', 'HostConfig.RestartPolicy') ?? {};
  const restart = restartPolicyText(stringAt(restartPolicy, 'Name', 'HostConfig.RestartPolicy.Name') ?? '', numberAt(restartPolicy, 'MaximumRetryCount', 'HostConfig.RestartPolicy.MaximumRetryCount') ?? 0);
  const options: RunOptions = {
    image,
    args: stringsAt(config, 'Cmd') ?? [],
    ...(entrypoint === undefined ? {} : { entrypoint }),
    ...(env.length === 0 ? {} : { env }),
    ...optionalString('workingDir', stringAt(config, 'WorkingDir')),
    ...optionalString('user', stringAt(config, 'User')),
    ...optionalString('name', name),
    ...optionalString('network', networkOf(host)),
    ...optionalString('stopSignal', stringAt(config, 'StopSignal')),
    ...(stopTimeout === undefined ? {} : { stopTimeout: String(stopTimeout) }),
    ...optionalString('restart', restart),
    ...(memory === 0 ? {} : { memory: String(memory) }),
    ...(nanoCpus === 0 ? {} : { cpus: String(nanoCpus / 1e9) }),
    autoRemove: booleanAt(host, 'AutoRemove', 'HostConfig.AutoRemove'),
    interactive: booleanAt(config, 'OpenStdin'),
    stdinOnce: booleanAt(config, 'StdinOnce'),
    tty: booleanAt(config, 'Tty'),
    publish: publishSpecs(host),
    // Config.Volumes holds the anonymous volumes (-v /data); a path also bound is the bind's.
    volumes: [...binds, ...setAt(config, 'Volumes').filter((path) => !binds.some((bind) => bind.split(':')[1] === path))],
    mounts,
    ...optionalLabels(labelsAt(config, 'Labels')),
    exposedPorts: setAt(config, 'ExposedPorts'),
  };
  return { options, warnings: warningsOf(host) };
}

function optionalString<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined || value === '' ? {} : ({ [key]: value } as Record<K, string>);
}

function optionalLabels(labels: Record<string, string> | undefined): { labels?: Record<string, string> } {
  return labels === undefined || Object.keys(labels).length === 0 ? {} : { labels };
}
