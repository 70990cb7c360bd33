// Runs a build through the daemon (started when none runs) and shows its progress as BuildKit's
// plain display does (`#N name`, `#N DONE 0.3s`, `#N CACHED`), on stderr; `--progress=rawjson`
// prints the events as JSON lines and `quiet` (or -q) nothing but the image ID. A failing
// step's last output lines are shown. Paths are made absolute here: the daemon reads the
// context in place, from its own working directory.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { BuildProgress } from '../../../api/build.js';
import { resolveDaemonAddress } from '../../../api/host.js';
import { KilnError } from '../../../util/errors.js';
import { buildThroughDaemon } from '../../client/build.js';
import { parseBuildArgs } from '../../flags.js';
import { plainProgress } from './progress-plain.js';

export interface BuildFlags {
  tag: string[];
  file?: string;
  buildArg: string[];
  target?: string;
  cache: boolean;
  progress: 'auto' | 'plain' | 'tty' | 'rawjson' | 'quiet';
  quiet?: boolean;
  jobs?: string;
}

function jobsOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const jobs = Number(text);
  if (!Number.isInteger(jobs) || jobs < 1) throw new KilnError('INVALID_ARGUMENT', `--jobs: expected a positive integer, got ${JSON.stringify(text)}`, { details: { flag: '--jobs' } });
  return jobs;
}

export async function runBuild(command: Command, context: string, flags: BuildFlags): Promise<void> {
  const quiet = flags.quiet === true || flags.progress === 'quiet';
  const writeErr = (line: string): void => void process.stderr.write(`${line}\n`);
  const progress = quiet ? () => undefined : flags.progress === 'rawjson' ? (event: BuildProgress) => writeErr(JSON.stringify(event)) : plainProgress(writeErr);
  const jobs = jobsOf(flags.jobs);
  const controller = new AbortController();
  const stop = (): void => controller.abort(new KilnError('CANCELED', 'the build was cancelled'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const { root, host } = command.optsWithGlobals<{ root?: string; host?: string }>();
    const address = resolveDaemonAddress({ ...(root === undefined ? {} : { root }), ...(host === undefined ? {} : { host }) });
    const result = await buildThroughDaemon(address, {
      contextDir: resolve(context), tags: flags.tag, buildArgs: parseBuildArgs(flags.buildArg),
      ...(flags.cache ? {} : { noCache: true }),
      ...(flags.file === undefined ? {} : { dockerfile: resolve(flags.file) }),
      ...(flags.target === undefined ? {} : { target: flags.target }),
      ...(jobs === undefined ? {} : { jobs }),
    }, progress, controller.signal);
    if (quiet) process.stdout.write(`${result.id}\n`);
    else {
      writeErr(`writing image ${result.id} done`);
      for (const name of result.names) writeErr(`naming to ${name} done`);
    }
  } catch (err) {
    const log = err instanceof KilnError ? err.details.log : undefined;
    if (log !== undefined && log.length > 0) writeErr(log.map((line) => `> ${line}`).join('\n'));
    throw err;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
