// Converting one stage: start from its base, then each dispatched step in order. The steps come
// from redispatch(), so every word is already expanded with the stage's real env and scope.
import { posix } from 'node:path';
import { fileActions, sourceLocationDescription, stepDescription, type State, type StepDescription } from '../../llb/index.js';
import type { DispatchStep, StageDispatch, WorkdirCommand } from '../instructions/index.js';
import { applyConfigCommand, isConfigCommand } from './config.js';
import { convertCopy, parseOwner } from './copy.js';
import type { SourceText } from './errors.js';
import { historyEntry } from './history.js';
import { displayLine, type NameLexers } from './names.js';
import { convertRun } from './run.js';
import { syncEnv, type StageBuild } from './stage-build.js';

export interface StageSteps {
  src: SourceText;
  lexers: NameLexers;
  context: State;
  /** The States of this stage's `COPY --from` sources, in command order. */
  copyFrom: readonly State[];
  /** The States of this stage's `RUN --mount=...,from=` sources, in mount order. */
  mountFrom: readonly State[];
}

export function convertSteps(b: StageBuild, walk: StageDispatch, env: StageSteps): void {
  let copies = 0;
  let mountsFrom = 0;
  let made = 0;
  if (b.stage.base.kind === 'image' && b.state.output !== null) b.state = b.state.withMetadata({ description: stepDescription({ id: stepId(b, env.src, 0), instruction: 'FROM' }) });
  for (const step of walk.steps) {
    const cmd = step.command;
    const before = b.state.output?.node;
    if (cmd.kind === 'run') {
      const count = cmd.mounts.filter((m) => m.from !== undefined).length;
      convertRun(b, cmd, step, env.src, env.lexers, { context: env.context, from: env.mountFrom.slice(mountsFrom, mountsFrom + count) });
      mountsFrom += count;
    }
    else if (cmd.kind === 'workdir') convertWorkdir(b, cmd, step, env.lexers);
    else if (cmd.kind === 'copy' || cmd.kind === 'add') {
      const from = cmd.kind === 'copy' && cmd.from !== undefined ? env.copyFrom[copies++] : undefined;
      convertCopy(b, cmd, step, { src: env.src, lexers: env.lexers, context: env.context, from });
    } else if (isConfigCommand(cmd)) applyConfigCommand(b, cmd, step);
    // The step's vertex (if it made one) knows its instruction: a failing step shows its lines.
    if (b.state.output !== null && b.state.output.node !== before) b.state = b.state.withMetadata({ description: sourceLocationDescription({ file: env.src.file, range: step.parsed.range }) });
    if (b.state.output !== null && b.state.output.node !== before) b.state = b.state.withMetadata({ description: stepDescription(identify(b, env.src, ++made, step)) });
    b.state = syncEnv(b.state, step.after.env);
  }
}

/**
 * A step's identity across builds: the Dockerfile's path, the stage (its name, which survives
 * stages added before it, else its index) and the step's place among the stage's steps that
 * make a vertex (so an ENV or LABEL added above shifts nothing). An edited instruction keeps
 * its identity and is explained by what changed in it; a step added above shifts the ones
 * below, whose explanation then names the instruction or command that now stands there.
 */
function stepId(b: StageBuild, src: SourceText, ordinal: number): string {
  return JSON.stringify([src.file, b.stage.name ?? b.stage.index, ordinal]);
}

function identify(b: StageBuild, src: SourceText, ordinal: number, step: DispatchStep): StepDescription {
  const instruction = step.command.kind.toUpperCase();
  // Which env entries are ARGs: an explanation names them `ARG X`, the rest `ENV X`.
  const args = step.command.kind === 'run' ? step.before.args.map((arg) => arg.key) : [];
  return { id: stepId(b, src, ordinal), instruction, ...(args.length === 0 ? {} : { args }) };
}

/**
 * WORKDIR sets the directory and creates it (BuildKit's dispatchWorkdir): `mkdir -p`, owned by
 * the stage's USER as BuildKit's chown of the current user does, except for `/`.
 */
function convertWorkdir(b: StageBuild, cmd: WorkdirCommand, step: DispatchStep, lexers: NameLexers): void {
  const exec = (b.config.config ??= {});
  const dir = posix.resolve('/', exec.WorkingDir || '/', cmd.path);
  exec.WorkingDir = dir;
  b.state = b.state.withDir(dir);
  if (dir === '/') {
    b.added.push(historyEntry(`WORKDIR ${dir}`, false, false));
    return;
  }
  const user = exec.User ?? '';
  const mkdir = fileActions().mkdir(dir, 0o755, { makeParents: true, ...(user === '' ? {} : { owner: parseOwner(user) }) });
  const name = b.namer.next(displayLine(cmd.original, step.before.env, lexers.word));
  b.state = b.state.file(mkdir).withMetadata({ ...b.metadata, customName: name });
  b.added.push(historyEntry(`WORKDIR ${dir}`, true, false));
}
