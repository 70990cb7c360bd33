// Runs a build through the daemon (started when none runs) and shows its progress as BuildKit's
// plain display does (`#N name`, `#N DONE 0.3s`, `#N CACHED`), on stderr; `--progress=rawjson`
// prints the events as JSON lines and `quiet` (or -q) nothing but the image ID. A failing
// step's last output lines are shown. Paths are made absolute here: the daemon reads the
// context in place, from its own working directory.
// `--progress=tty`, and `auto` when stderr is a terminal, redraw BuildKit's live view instead.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { BuildProgress, BuildRequest } from '../../../api/build.js';
import { formatCacheExport, formatCacheImport, parseCacheExport, parseCacheImport, withAbsoluteDir } from '../../../api/build-cache.js';
import { daemonAddress } from '../../daemon-address.js';
import { KilnError } from '../../../util/errors.js';
import { buildThroughDaemon, planThroughDaemon } from '../../client/build.js';
import { planLines } from './dry-run.js';
import { parseBuildArgs } from '../../flags.js';
import { withSourceDateEpoch } from './epoch.js';
import { writeResultFiles } from './metadata.js';
import { parseOutputs } from './outputs.js';
import { plainProgress } from './progress-plain.js';
import { ttyProgress, type TtyProgress } from './progress-tty.js';
import { readSecrets, readSshAgents } from './secrets.js';
import { reportFailedStep } from './step-failure.js';

export interface BuildFlags {
  tag: string[];
  file?: string;
  buildArg: string[];
  target: string[];
  cache: boolean;
  progress: 'auto' | 'plain' | 'tty' | 'rawjson' | 'quiet';
  quiet?: boolean;
  jobs?: string;
  output: string[];
  push?: boolean;
  iidfile?: string;
  metadataFile?: string;
  secret: string[];
  ssh: string[];
  cacheFrom: string[];
  cacheTo: string[];
  dryRun?: boolean;
}

function jobsOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const jobs = Number(text);
  if (!Number.isInteger(jobs) || jobs < 1) throw new KilnError('INVALID_ARGUMENT', `--jobs: expected a positive integer, got ${JSON.stringify(text)}`, { details: { flag: '--jobs' } });
  return jobs;
}

/** The live display for `tty`, and for `auto` on a terminal; like buildx, `tty` needs one. */
function terminalDisplay(progress: BuildFlags['progress']): TtyProgress | undefined {
  if (progress !== 'tty' && progress !== 'auto') return undefined;
  if (process.stderr.isTTY) return ttyProgress(process.stderr);
  if (progress === 'tty') throw new KilnError('FAILED_PRECONDITION', '--progress=tty: stderr is not a terminal', { hint: 'use --progress=plain', details: { flag: '--progress' } });
  return undefined;
}

export async function runBuild(command: Command, context: string, flags: BuildFlags): Promise<void> {
  const quiet = flags.quiet === true || flags.progress === 'quiet';
  const writeErr = (line: string): void => void process.stderr.write(`${line}\n`);
  const tty = quiet ? undefined : terminalDisplay(flags.progress);
  const display = quiet ? () => undefined : flags.progress === 'rawjson' ? (event: BuildProgress) => writeErr(JSON.stringify(event)) : tty === undefined ? plainProgress(writeErr) : tty.onEvent;
  // A failed step's error names its vertex; its name is what progress showed.
  const names = new Map<string, string>();
  const progress = (event: BuildProgress): void => {
    names.set(event.digest, event.name);
    display(event);
  };
  const jobs = jobsOf(flags.jobs);
  if (new Set(flags.target).size > 1 && flags.iidfile !== undefined) {
    throw new KilnError('INVALID_ARGUMENT', '--iidfile: several targets make several images; use --metadata-file, which lists each', { details: { flag: '--iidfile' } });
  }
  const outputs = parseOutputs(flags.output, flags.push === true);
  const secrets = await readSecrets(flags.secret);
  const ssh = await readSshAgents(flags.ssh);
  // The daemon reads a local cache in place, from its own working directory: paths go absolute.
  const cacheFrom = flags.cacheFrom.map((text) => formatCacheImport(withAbsoluteDir(parseCacheImport(text), resolve)));
  const cacheTo = flags.cacheTo.map((text) => formatCacheExport(withAbsoluteDir(parseCacheExport(text), resolve)));
  const controller = new AbortController();
  const stop = (): void => controller.abort(new KilnError('CANCELED', 'the build was cancelled'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const address = daemonAddress(command);
    const request: BuildRequest = {
      contextDir: resolve(context), tags: flags.tag, buildArgs: withSourceDateEpoch(parseBuildArgs(flags.buildArg)),
      ...(flags.cache ? {} : { noCache: true }),
      ...(flags.file === undefined ? {} : { dockerfile: resolve(flags.file) }),
      ...(flags.target.length === 1 ? { target: flags.target[0] } : {}),
      ...(flags.target.length > 1 ? { targets: flags.target } : {}),
      ...(jobs === undefined ? {} : { jobs }),
      ...(outputs === undefined ? {} : { outputs }),
      ...(Object.keys(secrets).length === 0 ? {} : { secrets }),
      ...(Object.keys(ssh).length === 0 ? {} : { ssh }),
      ...(cacheFrom.length === 0 ? {} : { cacheFrom }),
      ...(cacheTo.length === 0 ? {} : { cacheTo }),
    };
    if (flags.dryRun === true) {
      const plan = await planThroughDaemon(address, request, progress, controller.signal);
      tty?.done();
      for (const warning of plan.warnings ?? []) writeErr(`WARNING: ${warning}`);
      process.stdout.write(flags.progress === 'rawjson' ? `${JSON.stringify(plan)}\n` : `${planLines(plan).join('\n')}\n`);
      return;
    }
    const result = await buildThroughDaemon(address, request, progress, controller.signal);
    tty?.done();
    await writeResultFiles({
      ...(flags.iidfile === undefined ? {} : { iidfile: resolve(flags.iidfile) }),
      ...(flags.metadataFile === undefined ? {} : { metadataFile: resolve(flags.metadataFile) }),
    }, result, outputs);
    for (const warning of result.warnings ?? []) writeErr(`WARNING: ${warning}`);
    for (const image of result.images ?? [result]) {
      if (quiet) process.stdout.write(`${image.id}\n`);
      else {
        writeErr(`writing image ${image.id}${'target' in image && image.target !== undefined ? ` (target ${image.target})` : ''} done`);
        for (const name of image.names) writeErr(`naming to ${name} done`);
      }
    }
  } catch (err) {
    // The last frame stays above the failure report.
    tty?.done();
    throw await reportFailedStep(err, names, writeErr);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
