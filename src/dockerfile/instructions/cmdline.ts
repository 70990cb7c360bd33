// The instructions whose arguments are a command line: CMD, ENTRYPOINT and SHELL (RUN, which
// adds flags, is in run.ts). Exec form (a JSON array) is taken as is; shell form is one string
// that the stage's shell will run.
import { errorAt } from './errors.js';
import { parseFlags } from './flags.js';
import { argValues, argsRange, commandBase, requireArgs, type ParseRequest } from './request.js';
import type { CmdCommand, EntrypointCommand, ShellCommand, ShellDependentCmdLine } from './types.js';

export function shellCmdLine(req: ParseRequest): ShellDependentCmdLine {
  const args = argValues(req);
  return {
    cmdLine: req.node.json || args.length === 0 ? args : [args.join(' ')],
    files: req.node.heredocs.map((h) => ({ name: h.name, data: h.content, chomp: h.chomp })),
    prependShell: !req.node.json,
  };
}

export function parseCmd(req: ParseRequest): CmdCommand {
  const flags = parseFlags('CMD', req.node.flags, [], req.src);
  return { ...commandBase(req, flags), kind: 'cmd', ...shellCmdLine(req) };
}

export function parseEntrypoint(req: ParseRequest): EntrypointCommand {
  const flags = parseFlags('ENTRYPOINT', req.node.flags, [], req.src);
  return { ...commandBase(req, flags), kind: 'entrypoint', ...shellCmdLine(req) };
}

export function parseShell(req: ParseRequest): ShellCommand {
  const flags = parseFlags('SHELL', req.node.flags, [], req.src);
  requireArgs(req, 'at-least-one');
  if (!req.node.json) {
    const words = req.node.argsText.split(/\s+/).filter((w) => w !== '');
    const hint = `write it as a JSON array, e.g. SHELL [${words.map((w) => JSON.stringify(w)).join(', ')}]`;
    throw errorAt(req.src, argsRange(req), 'SHELL requires the arguments to be in JSON form', hint);
  }
  return { ...commandBase(req, flags), kind: 'shell', shell: argValues(req) };
}
