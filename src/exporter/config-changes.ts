// What a build changes in the `config` member of an image config (Dockerfile ENV, CMD, LABEL,
// ...), applied over the base image's, with Docker's semantics for each field.
import type { ExecutionConfig, HealthConfig } from '../image/index.js';

export interface ConfigChanges {
  /** `KEY=VALUE` pairs set over the base's: a key the base has is replaced in place, a new one appended. */
  env?: string[];
  /** Replaces the base's. */
  cmd?: string[];
  /** Replaces the base's. */
  entrypoint?: string[];
  workingDir?: string;
  user?: string;
  /** Merged over the base's; a key given here wins. */
  labels?: Record<string, string>;
  /** `port/proto` (`80/tcp`), added to the base's. */
  exposedPorts?: string[];
  /** Paths, added to the base's. */
  volumes?: string[];
  stopSignal?: string;
  /** Replaces the base's; `{ Test: ['NONE'] }` turns an inherited one off. */
  healthcheck?: HealthConfig;
  /** Replaces the base's: a base's ONBUILD triggers run in its child and are not inherited. */
  onBuild?: string[];
  shell?: string[];
  /** Windows only: whether CMD/ENTRYPOINT are already escaped. */
  argsEscaped?: boolean;
}

function envKey(entry: string): string {
  const equals = entry.indexOf('=');
  return equals < 0 ? entry : entry.slice(0, equals);
}

function mergeEnv(base: string[], changes: string[]): string[] {
  const merged = [...base];
  for (const entry of changes) {
    const at = merged.findIndex((old) => envKey(old) === envKey(entry));
    if (at < 0) merged.push(entry);
    else merged[at] = entry;
  }
  return merged;
}

/** A set written as a map to empty objects, keys sorted so the JSON is stable. */
function addToSet(base: Record<string, object> | undefined, added: string[]): Record<string, object> {
  const keys = new Set([...Object.keys(base ?? {}), ...added]);
  return Object.fromEntries([...keys].sort().map((key) => [key, {}]));
}

/** The base's execution config with `changes` applied; neither argument is modified. */
export function applyConfigChanges(base: ExecutionConfig | undefined, changes: ConfigChanges): ExecutionConfig {
  const out: ExecutionConfig = { ...base };
  if (changes.env !== undefined) out.Env = mergeEnv(base?.Env ?? [], changes.env);
  if (changes.cmd !== undefined) out.Cmd = [...changes.cmd];
  if (changes.entrypoint !== undefined) out.Entrypoint = [...changes.entrypoint];
  if (changes.workingDir !== undefined) out.WorkingDir = changes.workingDir;
  if (changes.user !== undefined) out.User = changes.user;
  if (changes.labels !== undefined) out.Labels = { ...base?.Labels, ...changes.labels };
  if (changes.exposedPorts !== undefined) out.ExposedPorts = addToSet(base?.ExposedPorts, changes.exposedPorts);
  if (changes.volumes !== undefined) out.Volumes = addToSet(base?.Volumes, changes.volumes);
  if (changes.stopSignal !== undefined) out.StopSignal = changes.stopSignal;
  if (changes.healthcheck !== undefined) out.Healthcheck = { ...changes.healthcheck };
  if (changes.onBuild !== undefined) out.OnBuild = [...changes.onBuild];
  if (changes.shell !== undefined) out.Shell = [...changes.shell];
  if (changes.argsEscaped !== undefined) out.ArgsEscaped = changes.argsEscaped;
  return out;
}
