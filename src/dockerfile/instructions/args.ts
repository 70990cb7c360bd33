// Build arguments: the predefined platform args, the proxy and BuildKit built-in args that
// may be passed without an ARG, `--build-arg` values, and the global ("meta") ARGs before the
// first FROM (BuildKit's platform.go defaultArgs and convert.go buildMetaArgs).
import type { Range } from '../ast.js';
import type { Env, ShellLex } from '../words.js';
import { withLocation, type SourceText } from './errors.js';
import { formatPlatform, formatPlatformAll, type Platform } from '../../image/index.js';
import type { ArgCommand } from './types.js';

export const platformArgNames: readonly string[] = [
  'BUILDPLATFORM', 'BUILDOS', 'BUILDOSVERSION', 'BUILDARCH', 'BUILDVARIANT',
  'TARGETPLATFORM', 'TARGETOS', 'TARGETOSVERSION', 'TARGETARCH', 'TARGETVARIANT', 'TARGETSTAGE',
];

/** Reach RUN through the proxy env (outside the cache key) unless declared with ARG. */
export const proxyArgNames: readonly string[] = ['HTTP_PROXY', 'HTTPS_PROXY', 'FTP_PROXY', 'NO_PROXY', 'ALL_PROXY'];

/** Read by the builder itself rather than by the Dockerfile. */
export const builtinArgNames: readonly string[] = [
  'BUILDKIT_SYNTAX', 'BUILDKIT_INLINE_CACHE', 'BUILDKIT_CACHE_MOUNT_NS', 'BUILDKIT_CONTEXT_KEEP_GIT_DIR',
  'BUILDKIT_MULTI_PLATFORM', 'BUILDKIT_SANDBOX_HOSTNAME', 'BUILDKIT_BUILD_NAME', 'BUILDKIT_SBOM_SCAN_CONTEXT',
  'BUILDKIT_SBOM_SCAN_STAGE', 'SOURCE_DATE_EPOCH',
];

/** Args that configure the builder and never enter a step's environment. */
export const nonEnvArgNames: ReadonlySet<string> = new Set(['BUILDKIT_SBOM_SCAN_CONTEXT', 'BUILDKIT_SBOM_SCAN_STAGE']);

/** A build-arg that needs no ARG declaration to be meaningful. */
export function isPredefinedArg(name: string): boolean {
  return platformArgNames.includes(name) || proxyArgNames.includes(name.toUpperCase()) || builtinArgNames.includes(name);
}

/**
 * `--build-arg` values: an undefined value means "take it from the environment" (docker's
 * `--build-arg NAME`); such an arg is dropped when the environment does not have it.
 */
export function resolveBuildArgs(input: Readonly<Record<string, string | undefined>>, env: NodeJS.ProcessEnv): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(input)) {
    const resolved = value ?? env[key];
    if (resolved !== undefined) out.set(key, resolved);
  }
  return out;
}

/** BUILDPLATFORM ... TARGETSTAGE, each overridable by a build-arg of the same name. */
export function platformArgs(build: Platform, target: Platform, targetStage: string, buildArgs: ReadonlyMap<string, string>): Map<string, string> {
  const values: [string, string][] = [
    ['BUILDPLATFORM', formatPlatform(build)],
    ['BUILDOS', build.os],
    ['BUILDOSVERSION', build.osVersion ?? ''],
    ['BUILDARCH', build.architecture],
    ['BUILDVARIANT', build.variant ?? ''],
    ['TARGETPLATFORM', formatPlatformAll(target)],
    ['TARGETOS', target.os],
    ['TARGETOSVERSION', target.osVersion ?? ''],
    ['TARGETARCH', target.architecture],
    ['TARGETVARIANT', target.variant ?? ''],
    ['TARGETSTAGE', targetStage === '' ? 'default' : targetStage],
  ];
  return new Map(values.map(([key, value]) => [key, buildArgs.get(key) ?? value]));
}

export interface ProxyEnv {
  httpProxy?: string;
  httpsProxy?: string;
  ftpProxy?: string;
  noProxy?: string;
  allProxy?: string;
}

const proxyFields: Readonly<Record<string, keyof ProxyEnv>> = {
  HTTP_PROXY: 'httpProxy', HTTPS_PROXY: 'httpsProxy', FTP_PROXY: 'ftpProxy', NO_PROXY: 'noProxy', ALL_PROXY: 'allProxy',
};

/** The proxy settings among the build-args, in either case (the lower-case one wins, as in BuildKit). */
export function proxyEnvFromBuildArgs(buildArgs: ReadonlyMap<string, string>): ProxyEnv | undefined {
  const out: ProxyEnv = {};
  let found = false;
  for (const key of [...buildArgs.keys()].sort()) {
    const field = proxyFields[key.toUpperCase()];
    if (field === undefined) continue;
    out[field] = buildArgs.get(key);
    found = true;
  }
  return found ? out : undefined;
}

/** One global ARG after evaluation. */
export interface MetaArg {
  key: string;
  /** The effective value: the build-arg, else the expanded default; undefined when neither. */
  value: string | undefined;
  /** Names the default referred to (for the lint rules); empty when a build-arg was used. */
  matched: string[];
  unmatched: string[];
  command: ArgCommand;
  range: Range;
}

/**
 * Evaluates the global ARGs in order: a build-arg wins over the default, a default is
 * expanded with the predefined args and the global ARGs before it. Returns the env that FROM
 * lines see.
 */
export function evaluateMetaArgs(
  commands: readonly ArgCommand[],
  predefined: ReadonlyMap<string, string>,
  buildArgs: ReadonlyMap<string, string>,
  lex: ShellLex,
  src: SourceText,
): { env: Map<string, string>; args: MetaArg[] } {
  const env = new Map(predefined);
  const args: MetaArg[] = [];
  for (const command of commands) {
    for (const decl of command.args) {
      const arg = evaluateMetaArg(decl.key, decl.value, command, env, buildArgs, lex, src);
      if (arg.value !== undefined) env.set(arg.key, arg.value);
      args.push(arg);
    }
  }
  return { env, args };
}

function evaluateMetaArg(
  key: string,
  defaultValue: string | undefined,
  command: ArgCommand,
  env: Env,
  buildArgs: ReadonlyMap<string, string>,
  lex: ShellLex,
  src: SourceText,
): MetaArg {
  const base = { key, command, range: command.range };
  const given = buildArgs.get(key);
  if (given !== undefined) return { ...base, value: given, matched: [], unmatched: [] };
  if (defaultValue === undefined) return { ...base, value: undefined, matched: [], unmatched: [] };
  try {
    const result = lex.processWord(defaultValue, env);
    return { ...base, value: result.value, matched: [...result.matched], unmatched: [...result.unmatched] };
  } catch (err) {
    throw withLocation(err, src, command.range);
  }
}
