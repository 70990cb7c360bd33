// RUN: an exec op on the stage's root filesystem (BuildKit's dispatchRun). The process gets the
// stage's env (ENV and the ARGs with values), working directory and user from the State; shell
// form goes through the stage's SHELL; a heredoc becomes the script or the shell's input.
import { fileActions, scratch, type RunMount } from '../../llb/index.js';
import type { DispatchStep, RunCommand } from '../instructions/index.js';
import { commandLine } from './config.js';
import { notImplemented, type SourceText } from './errors.js';
import { historyEntry } from './history.js';
import { displayLine, type NameLexers } from './names.js';
import { convertRunMounts, type MountSources } from './run-mounts.js';
import type { StageBuild } from './stage-build.js';

const heredocWord = /^(\d*)<<(-?)\s*([^<]*)$/;
/** Where a script heredoc is mounted, as in BuildKit. */
const pipesDir = '/dev/pipes/';

export function convertRun(b: StageBuild, cmd: RunCommand, step: DispatchStep, src: SourceText, lexers: NameLexers, sources: MountSources): void {
  rejectFlags(cmd, src);
  const { args, mounts, summary } = processArgs(b, cmd);
  const name = displayLine(cmd.original, step.before.env, lexers.run) + (summary === undefined ? '' : ` (${summary})`);
  const extra = convertRunMounts(step.mounts, sources, src);
  const exec = b.state.run({
    args, mounts: [...mounts, ...extra.mounts],
    ...(Object.keys(extra.env).length === 0 ? {} : { env: extra.env }),
    ...(extra.secretEnv.length === 0 ? {} : { secretEnv: extra.secretEnv }),
    ...(cmd.network === 'none' ? { network: 'none' as const } : {}),
  });
  b.state = exec.root().withMetadata({ ...b.metadata, customName: b.namer.next(name) });
  b.added.push(historyEntry(`RUN ${runCommandString(args, step)}`, true, true));
}

// BuildKit supports these, but kiln's conversion does not yet: failing is better than building
// something else.
function rejectFlags(cmd: RunCommand, src: SourceText): void {
  if (cmd.network === 'host') {
    throw notImplemented(src, cmd.flagRanges['network'] ?? cmd.range, 'RUN --network=host is not supported yet', 'drop the flag: the default network has internet access');
  }
  if (cmd.security !== 'sandbox') {
    throw notImplemented(src, cmd.flagRanges['security'] ?? cmd.range, `RUN --security=${cmd.security} is not supported yet`);
  }
  if (cmd.devices.length > 0) {
    throw notImplemented(src, cmd.flagRanges['device'] ?? cmd.range, 'RUN --device is not supported yet');
  }
}

interface ProcessArgs {
  args: string[];
  mounts: RunMount[];
  summary: string | undefined;
}

function processArgs(b: StageBuild, cmd: RunCommand): ProcessArgs {
  const exec = b.config.config ?? {};
  const [first] = cmd.files;
  const line = cmd.cmdLine[0] ?? '';
  if (first === undefined) return { args: commandLine(exec, cmd), mounts: [], summary: undefined };
  const data = first.chomp ? first.data.replace(/^\t+/gm, '') : first.data;
  if (cmd.files.length > 1 || !heredocWord.test(line)) {
    // Heredocs inside a longer command line: the shell reads them itself.
    const full = cmd.files.reduce((text, f) => `${text}\n${f.data}${f.name}`, line);
    return { args: commandLine(exec, { cmdLine: [full], prependShell: cmd.prependShell }), mounts: [], summary: undefined };
  }
  const summary = heredocSummary(first.data);
  if (b.config.os !== 'windows' && first.data.startsWith('#!')) {
    // A script with its interpreter line: written to a file and run, not fed to the shell.
    const script = scratch().file(fileActions().mkfile(first.name, 0o755, data));
    return { args: [`${pipesDir}${first.name}`], mounts: [{ dest: pipesDir, from: script, selector: '/', readonly: true }], summary };
  }
  return { args: commandLine(exec, { cmdLine: [data], prependShell: cmd.prependShell }), mounts: [], summary };
}

function heredocSummary(doc: string): string {
  const lines = doc.trim().split(/\r?\n/);
  return (lines[0] ?? '') + (lines.length > 1 ? '...' : '');
}

/**
 * BuildKit's runCommandString: the declared ARGs (`|2 A=x B=y`, ENV winning over the ARG's
 * value) before the command, so `docker history` shows what the step was built with.
 */
function runCommandString(args: readonly string[], step: DispatchStep): string {
  const values = new Map<string, string>();
  for (const arg of step.before.args) values.set(arg.key, step.before.env.get(arg.key) ?? arg.value ?? '');
  const argText = [...values].map(([k, v]) => `${k}=${v}`);
  const prefix = argText.length === 0 ? [] : [`|${argText.length}`, ...argText];
  return [...prefix, ...args].join(' ');
}
