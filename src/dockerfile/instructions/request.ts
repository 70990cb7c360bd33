// What every instruction parser receives, and the common part of every command it builds.
import type { ArgNode, InstructionNode, Range } from '../ast.js';
import { errorAt, type SourceText } from './errors.js';
import type { ParsedFlags } from './flags.js';
import type { CommandBase } from './types.js';

export interface ParseRequest {
  node: InstructionNode;
  src: SourceText;
  /** The instruction name upper-cased, as messages spell it. */
  instruction: string;
  args: readonly ArgNode[];
}

export function requestFor(node: InstructionNode, src: SourceText): ParseRequest {
  return { node, src, instruction: node.name.toUpperCase(), args: node.args };
}

export function commandBase(req: ParseRequest, flags?: ParsedFlags): CommandBase {
  const { node } = req;
  return {
    keyword: node.keyword,
    keywordRange: node.keywordRange,
    range: node.range,
    argsRange: argsRange(req),
    original: node.original.trim(),
    comments: node.prevComment,
    flagRanges: flags?.ranges ?? {},
  };
}

export function argValues(req: ParseRequest): string[] {
  return req.args.map((a) => a.value);
}

/** The range of the arguments, or of the keyword when there are none (to point somewhere). */
export function argsRange(req: ParseRequest): Range {
  return req.args.length > 0 ? req.node.argsRange : req.node.keywordRange;
}

export function requireArgs(req: ParseRequest, count: 'one' | 'at-least-one'): void {
  const n = req.args.length;
  if (count === 'at-least-one' && n === 0) {
    throw errorAt(req.src, argsRange(req), `${req.instruction} requires at least one argument`, usage(req.instruction));
  }
  if (count === 'one' && n !== 1) {
    throw errorAt(req.src, argsRange(req), `${req.instruction} requires exactly one argument`, usage(req.instruction));
  }
}

const usages: Readonly<Record<string, string>> = {
  ARG: 'ARG NAME[=default]',
  CMD: 'CMD ["executable", "arg"] or CMD command arg',
  ENTRYPOINT: 'ENTRYPOINT ["executable", "arg"] or ENTRYPOINT command arg',
  ENV: 'ENV KEY=value',
  EXPOSE: 'EXPOSE 80/tcp',
  HEALTHCHECK: 'HEALTHCHECK [--interval=30s] CMD command, or HEALTHCHECK NONE',
  LABEL: 'LABEL key=value',
  MAINTAINER: 'MAINTAINER name',
  ONBUILD: 'ONBUILD RUN command',
  RUN: 'RUN command, or RUN ["executable", "arg"]',
  SHELL: 'SHELL ["/bin/sh", "-c"]',
  STOPSIGNAL: 'STOPSIGNAL SIGTERM',
  USER: 'USER name[:group]',
  VOLUME: 'VOLUME /data',
  WORKDIR: 'WORKDIR /path',
};

export function usage(instruction: string): string | undefined {
  const text = usages[instruction];
  return text === undefined ? undefined : `usage: ${text}`;
}
