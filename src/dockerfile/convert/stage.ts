// Converting one stage: start from its base, then each dispatched step in order. The steps come
// from redispatch(), so every word is already expanded with the stage's real env and scope.
import { posix } from 'node:path';
import { fileActions, type State } from '../../llb/index.js';
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
}

export function convertSteps(b: StageBuild, walk: StageDispatch, env: StageSteps): void {
  let copies = 0;
  for (const step of walk.steps) {
    const cmd = step.command;
    if (cmd.kind === 'run') convertRun(b, cmd, step, env.src, env.lexers, env.context);
    else if (cmd.kind === 'workdir') convertWorkdir(b, cmd, step, env.lexers);
    else if (cmd.kind === 'copy' || cmd.kind === 'add') {
      const from = cmd.kind === 'copy' && cmd.from !== undefined ? env.copyFrom[copies++] : undefined;
      convertCopy(b, cmd, step, { src: env.src, lexers: env.lexers, context: env.context, from });
    } else if (isConfigCommand(cmd)) applyConfigCommand(b, cmd, step);
    b.state = syncEnv(b.state, step.after.env);
  }
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
