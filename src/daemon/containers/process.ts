// The process a container runs, computed from the image's config and the run's flags the way
// docker run does: --entrypoint replaces ENTRYPOINT (and an empty one clears it, dropping the
// image's CMD too), arguments replace CMD, -e / --env-file entries override the image's ENV by
// key, -w and -u replace WORKDIR and USER.
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { ImageConfig } from '../../image/index.js';
import { KilnError } from '../../util/errors.js';

export interface ProcessOptions {
  /** The arguments after the image; replace CMD when non-empty. */
  args: string[];
  /**
   * --entrypoint: a single executable, as docker's CLI takes it; '' clears the image's. The
   * Engine API's Entrypoint is a list: [] or [''] clears it too.
   */
  entrypoint?: string | string[];
  /** -e values: `K=V`, or `K` to take K from the caller's environment. */
  env?: string[];
  /** --env-file contents, already read (envFileEntries). */
  envFile?: string[];
  workingDir?: string;
  user?: string;
}

export interface ContainerProcess {
  entrypoint: string[];
  cmd: string[];
  env: string[];
  workingDir: string;
  user: string;
}

function envKey(entry: string): string {
  const eq = entry.indexOf('=');
  return eq === -1 ? entry : entry.slice(0, eq);
}

/** `K=V` as is; a bare `K` from `callerEnv`, dropped when unset there (docker's rule). */
function expandEntry(entry: string, flag: string, callerEnv: NodeJS.ProcessEnv): string | undefined {
  const key = envKey(entry);
  if (key === '' || /\s/.test(key)) throw new KilnError('INVALID_ARGUMENT', `${flag}: invalid environment variable: ${entry}`, { details: { flag } });
  if (entry.includes('=')) return entry;
  const value = callerEnv[key];
  return value === undefined ? undefined : `${key}=${value}`;
}

/** Overrides `base` entry by entry, keeping the first position of each key. */
export function mergeEnv(base: string[], overrides: string[]): string[] {
  const merged = [...base];
  for (const entry of overrides) {
    const at = merged.findIndex((existing) => envKey(existing) === envKey(entry));
    if (at === -1) merged.push(entry);
    else merged[at] = entry;
  }
  return merged;
}

/**
 * The lines of an --env-file: blank lines and `#` comments skipped, leading whitespace dropped.
 * Read synchronously: the CLI reads it before its one request, and node:fs/promises would be
 * one more module on the start of every `kiln run`.
 */
export function envFileEntries(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new KilnError('NOT_FOUND', `--env-file: open ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`, {
      details: { flag: '--env-file' },
    });
  }
  return text.split('\n').map((line) => line.replace(/\r$/, '').trimStart()).filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * A flag's entries with bare keys expanded from `callerEnv` (expandEntry). The CLI expands them
 * before a run goes to the daemon: `-e K` means the caller's K, not the daemon's.
 */
export function expandEntries(entries: readonly string[], flag: '--env' | '--env-file', callerEnv: NodeJS.ProcessEnv = process.env): string[] {
  return entries.map((e) => expandEntry(e, flag, callerEnv)).filter((e): e is string => e !== undefined);
}

/** --env-file entries, then -e ones, expanded (`K` from `callerEnv`), as run and exec take them. */
export function envOverrides(options: Pick<ProcessOptions, 'env' | 'envFile'>, callerEnv: NodeJS.ProcessEnv = process.env): string[] {
  return [...expandEntries(options.envFile ?? [], '--env-file', callerEnv), ...expandEntries(options.env ?? [], '--env', callerEnv)];
}

export function containerProcess(image: ImageConfig, options: ProcessOptions, callerEnv: NodeJS.ProcessEnv = process.env): ContainerProcess {
  const config = image.config ?? {};
  const given = typeof options.entrypoint === 'string' ? [options.entrypoint] : options.entrypoint;
  const entrypoint = given === undefined ? config.Entrypoint ?? [] : given.length === 1 && given[0] === '' ? [] : given;
  // docker: a new entrypoint resets the image's CMD, so only the run's own arguments follow it.
  const imageCmd = options.entrypoint === undefined ? config.Cmd ?? [] : [];
  const cmd = options.args.length > 0 ? options.args : imageCmd;
  if (entrypoint.length + cmd.length === 0) {
    throw new KilnError('INVALID_ARGUMENT', 'no command specified', { hint: 'pass a command after the image, or use an image with CMD or ENTRYPOINT' });
  }
  const overrides = envOverrides(options, callerEnv);
  const workingDir = options.workingDir ?? (config.WorkingDir !== undefined && config.WorkingDir !== '' ? config.WorkingDir : '/');
  if (!isAbsolute(workingDir)) {
    throw new KilnError('INVALID_ARGUMENT', `the working directory '${workingDir}' is invalid, it needs to be an absolute path`, { details: { flag: '--workdir' } });
  }
  return { entrypoint, cmd, env: mergeEnv(config.Env ?? [], overrides), workingDir, user: options.user ?? config.User ?? '' };
}
