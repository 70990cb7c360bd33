// From a syntax-tree instruction to a typed command (BuildKit's instructions/parse.go).
// Arguments keep their variables; expansion happens at dispatch (dispatch.ts).
import type { InstructionNode } from '../ast.js';
import { parseCmd, parseEntrypoint, parseShell } from './cmdline.js';
import { parseAdd, parseCopy } from './copy.js';
import { errorAt, type SourceText } from './errors.js';
import { parseFlags } from './flags.js';
import { docComment, parseFrom } from './from.js';
import { parseHealthcheck } from './healthcheck.js';
import { argValues, commandBase, requestFor, requireArgs, type ParseRequest } from './request.js';
import { parseRun } from './run.js';
import { didYouMean } from './suggest.js';
import type {
  ArgCommand, Command, EnvCommand, ExposeCommand, FromInstruction, KeyValuePair, LabelCommand, MaintainerCommand,
  OnbuildCommand, StopSignalCommand, UserCommand, VolumeCommand, WorkdirCommand,
} from './types.js';

const parsers: Readonly<Record<string, (req: ParseRequest) => Command | FromInstruction>> = {
  add: parseAdd,
  arg: parseArg,
  cmd: parseCmd,
  copy: parseCopy,
  entrypoint: parseEntrypoint,
  env: (req): EnvCommand => ({ ...noFlagsBase(req), kind: 'env', env: keyValuePairs(req) }),
  expose: parseExpose,
  from: parseFrom,
  healthcheck: parseHealthcheck,
  label: (req): LabelCommand => ({ ...noFlagsBase(req), kind: 'label', labels: keyValuePairs(req) }),
  maintainer: (req): MaintainerCommand => ({ ...single(req), kind: 'maintainer', maintainer: onlyArg(req) }),
  onbuild: parseOnbuild,
  run: parseRun,
  shell: parseShell,
  stopsignal: (req): StopSignalCommand => ({ ...single(req), kind: 'stopsignal', signal: onlyArg(req) }),
  user: (req): UserCommand => ({ ...single(req), kind: 'user', user: onlyArg(req) }),
  volume: parseVolume,
  workdir: (req): WorkdirCommand => ({ ...single(req), kind: 'workdir', path: onlyArg(req) }),
};

/** Every instruction keyword, upper-case. */
export const instructionNames: readonly string[] = Object.keys(parsers).map((n) => n.toUpperCase());

export function parseInstruction(node: InstructionNode, src: SourceText): Command | FromInstruction {
  const parse = parsers[node.name];
  if (parse === undefined) {
    const hint = didYouMean(node.keyword, instructionNames, false) ?? `instructions are ${instructionNames.join(', ')}`;
    throw errorAt(src, node.keywordRange, `unknown instruction: ${node.keyword}`, hint);
  }
  return parse(requestFor(node, src));
}

function noFlagsBase(req: ParseRequest): ReturnType<typeof commandBase> {
  return commandBase(req, parseFlags(req.instruction, req.node.flags, [], req.src));
}

/** For the instructions that take exactly one argument and no flags. */
function single(req: ParseRequest): ReturnType<typeof commandBase> {
  requireArgs(req, 'one');
  return noFlagsBase(req);
}

function onlyArg(req: ParseRequest): string {
  return req.args[0]?.value ?? '';
}

/** ENV and LABEL: the parser gives (key, value, separator) triples; separator "" is `ENV k v`. */
function keyValuePairs(req: ParseRequest): KeyValuePair[] {
  requireArgs(req, 'at-least-one');
  const pairs: KeyValuePair[] = [];
  for (let i = 0; i < req.args.length; i += 3) {
    const [key, value, sep] = req.args.slice(i, i + 3);
    if (key === undefined || value === undefined || sep === undefined) {
      throw errorAt(req.src, req.node.argsRange, `bad input to ${req.instruction}: too many arguments`, `write ${req.instruction} KEY=value`);
    }
    if (key.value === '') throw errorAt(req.src, key.range, `${req.instruction} names can not be blank`, `write ${req.instruction} KEY=value`);
    pairs.push({ key: key.value, value: value.value, legacy: sep.value === '' });
  }
  return pairs;
}

function parseArg(req: ParseRequest): ArgCommand {
  requireArgs(req, 'at-least-one');
  const base = noFlagsBase(req);
  const args = req.args.map((arg) => {
    const eq = arg.value.indexOf('=');
    const key = eq === -1 ? arg.value : arg.value.slice(0, eq);
    if (key === '') throw errorAt(req.src, arg.range, 'ARG names can not be blank', 'write ARG NAME or ARG NAME=default');
    const value = eq === -1 ? undefined : arg.value.slice(eq + 1);
    return { key, value, docComment: docComment(req.node.prevComment, key) };
  });
  return { ...base, kind: 'arg', args };
}

function parseExpose(req: ParseRequest): ExposeCommand {
  requireArgs(req, 'at-least-one');
  // BuildKit sorts the words as written; the order shows in the image history.
  return { ...noFlagsBase(req), kind: 'expose', ports: argValues(req).sort() };
}

function parseVolume(req: ParseRequest): VolumeCommand {
  requireArgs(req, 'at-least-one');
  const base = noFlagsBase(req);
  const volumes = req.args.map((arg) => {
    const path = arg.value.trim();
    if (path === '') throw errorAt(req.src, arg.range, 'VOLUME specified can not be an empty string', 'give the path of the volume, e.g. VOLUME /data');
    return path;
  });
  return { ...base, kind: 'volume', volumes };
}

function parseOnbuild(req: ParseRequest): OnbuildCommand {
  const child = req.node.child;
  if (child === undefined) throw errorAt(req.src, req.node.keywordRange, 'ONBUILD requires at least one argument', 'usage: ONBUILD RUN command');
  const base = noFlagsBase(req);
  const trigger = child.keyword.trim().toUpperCase();
  if (trigger === 'ONBUILD') {
    const hint = 'give the trigger instruction directly, e.g. ONBUILD RUN command';
    throw errorAt(req.src, child.keywordRange, 'chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed', hint);
  }
  if (trigger === 'FROM' || trigger === 'MAINTAINER') {
    const hint = 'a trigger can be any instruction except ONBUILD, FROM and MAINTAINER';
    throw errorAt(req.src, child.keywordRange, `${trigger} isn't allowed as an ONBUILD trigger`, hint);
  }
  return { ...base, kind: 'onbuild', expression: onbuildExpression(req.node), trigger };
}

// The trigger as BuildKit stores it in the image config: the line without `ONBUILD`, and
// each heredoc appended as body plus terminator so that the trigger can be parsed again.
function onbuildExpression(node: InstructionNode): string {
  const heredocs = node.heredocs.length > 0 ? node.heredocs : (node.child?.heredocs ?? []);
  const line = node.original.replace(/^\s*ONBUILD\s*/i, '');
  return heredocs.reduce((text, h) => `${text}\n${h.content}${h.name}`, line);
}
