// Rules about single instructions: MaintainerDeprecated (instructions/parse.go), and those
// BuildKit applies while dispatching a stage: JSONArgsRecommended,
// MultipleInstructionsDisallowed, WorkdirRelativePath, ExposeProtoCasing and
// ExposeInvalidFormat (dockerfile2llb/convert.go, convert_expose.go).
import type { InstructionNode } from '../ast.js';
import { splitPort, type CommandBase, type DispatchStep, type ExposeCommand } from '../instructions/index.js';
import type { Linter } from './linter.js';
import {
  ExposeInvalidFormat, ExposeProtoCasing, JSONArgsRecommended, MaintainerDeprecated, MultipleInstructionsDisallowed,
  WorkdirRelativePath,
} from './rules.js';
import { anyCommand, type StageCheck } from './walk.js';

export function checkMaintainer(node: InstructionNode, lint: Linter): void {
  if (node.name !== 'maintainer') return;
  lint.report(MaintainerDeprecated, MaintainerDeprecated.format(), { range: node.range, comments: node.prevComment });
}

/** The rules that follow a stage's state from command to command. */
export const instructionRules: StageCheck = (walk, lint) => {
  // Only the last CMD, ENTRYPOINT and HEALTHCHECK of a stage count; a parent stage's do not
  // draw a warning (the image config is meant to be overridden).
  const lastSeen = new Map<string, CommandBase>();
  // A SHELL (here or in a parent stage) means shell form is a deliberate choice.
  let shellSet = anyCommand(walk.ancestors, 'shell');
  // Only the first WORKDIR of the chain of stages matters: fixing it fixes the later ones.
  let workdirSet = anyCommand(walk.ancestors, 'workdir');
  return (step: DispatchStep) => {
    const cmd = step.command;
    switch (cmd.kind) {
      case 'cmd':
      case 'entrypoint':
        usedOnce(step.parsed, lastSeen, lint);
        if (cmd.prependShell && !shellSet) lint.report(JSONArgsRecommended, JSONArgsRecommended.format(cmd.keyword), step.parsed);
        return;
      case 'healthcheck':
        return usedOnce(step.parsed, lastSeen, lint);
      case 'shell':
        shellSet = true;
        return;
      case 'workdir':
        if (!workdirSet && !isAbsolute(cmd.path, walk.os)) lint.report(WorkdirRelativePath, WorkdirRelativePath.format(cmd.path), step.parsed);
        workdirSet = true;
        return;
      case 'expose':
        return checkPorts(cmd, step.parsed, lint);
      default:
        return;
    }
  };
};

// Reported at the earlier instruction, the one that will be ignored, under the settings of
// the later one (as BuildKit does).
function usedOnce(cmd: CommandBase & { kind: string }, lastSeen: Map<string, CommandBase>, lint: Linter): void {
  const previous = lastSeen.get(cmd.kind);
  if (previous !== undefined) {
    lint.report(MultipleInstructionsDisallowed, MultipleInstructionsDisallowed.format(cmd.keyword), { range: previous.range, comments: cmd.comments });
  }
  lastSeen.set(cmd.kind, cmd);
}

function checkPorts(cmd: ExposeCommand, at: CommandBase, lint: Linter): void {
  for (const port of cmd.ports) {
    const { ip, hostPort, proto } = splitPort(port);
    if (proto !== proto.toLowerCase()) lint.report(ExposeProtoCasing, ExposeProtoCasing.format(port), at);
    if (ip !== '' || hostPort !== '') lint.report(ExposeInvalidFormat, ExposeInvalidFormat.format(port), at);
  }
}

// BuildKit's system.IsAbs: on Windows a drive letter is dropped and `\` counts as `/`.
function isAbsolute(path: string, os: string): boolean {
  if (os !== 'windows') return path.startsWith('/');
  return /^(?:[a-zA-Z]:)?[\\/]/.test(path);
}
