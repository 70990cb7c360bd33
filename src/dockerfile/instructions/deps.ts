// What a stage needs besides its base: `COPY --from=<stage|index|image>` and
// `RUN --mount=...,from=<stage|image>` (BuildKit's toCommand and detectRunMount). A name that
// is not a stage is an image reference: an implicit stage that only pulls the image.
import type { Range } from '../ast.js';
import type { Env, ShellLex } from '../words.js';
import { errorAt, type SourceText } from './errors.js';
import { imageReferenceProblem } from './reference.js';
import { findStageByName } from './stages.js';
import type { Command, CopyCommand, Stage } from './types.js';

export type DependencyVia = 'from' | 'copy' | 'mount';

export type StageDependency =
  | { kind: 'stage'; index: number; via: DependencyVia; range: Range }
  | { kind: 'image'; ref: string; via: DependencyVia; range: Range };

const noEnv: Env = new Map();

/** The dependencies of one stage's commands, in command order. */
export function commandDependencies(stage: Stage, stages: readonly Stage[], lex: ShellLex, src: SourceText): StageDependency[] {
  return stage.commands.flatMap((cmd) => dependenciesOf(cmd, stages, lex, src));
}

function dependenciesOf(cmd: Command, stages: readonly Stage[], lex: ShellLex, src: SourceText): StageDependency[] {
  if (cmd.kind === 'copy' && cmd.from !== undefined) return [copyDependency(cmd, cmd.from, stages, lex, src)];
  if (cmd.kind !== 'run') return [];
  return cmd.mounts.flatMap((m) => (m.from === undefined ? [] : [namedDependency(m.from, 'mount', m.range, stages, src)]));
}

function copyDependency(cmd: CopyCommand, from: string, stages: readonly Stage[], lex: ShellLex, src: SourceText): StageDependency {
  const range = cmd.flagRanges['from'] ?? cmd.range;
  if (expands(from, lex)) {
    const hint = 'define a new stage with FROM, which can use global ARGs, and copy from that stage';
    throw errorAt(src, range, `variable expansion is not supported for --from (${from})`, hint);
  }
  if (!/^[+-]?\d+$/.test(from)) return namedDependency(from, 'copy', range, stages, src);
  const index = Number(from);
  if (index < 0 || index >= stages.length) {
    const hint = stages.length === 1 ? 'the only stage is 0' : `stage indexes are 0 to ${stages.length - 1}`;
    throw errorAt(src, range, `invalid stage index ${from}`, hint);
  }
  return { kind: 'stage', index, via: 'copy', range };
}

function namedDependency(name: string, via: DependencyVia, range: Range, stages: readonly Stage[], src: SourceText): StageDependency {
  const stage = findStageByName(stages, name);
  if (stage !== undefined) return { kind: 'stage', index: stage.index, via, range };
  const problem = imageReferenceProblem(name);
  if (problem !== undefined) {
    throw errorAt(src, range, `"${name}" is neither a stage nor a valid image reference: ${problem}`, stageNamesHint(stages));
  }
  return { kind: 'image', ref: name, via, range };
}

// BuildKit compares the word with its expansion in an empty env: any `$var`, quote or escape
// that would change it means the value was meant to be expanded.
function expands(word: string, lex: ShellLex): boolean {
  try {
    return lex.processWord(word, noEnv).value !== word;
  } catch {
    return true;
  }
}

export function stageNamesHint(stages: readonly Stage[]): string {
  const names = stages.flatMap((s) => (s.name === undefined ? [] : [s.name]));
  return names.length === 0 ? 'this Dockerfile has no named stages (name one with FROM <image> AS <name>)' : `stages: ${names.join(', ')}`;
}

/** Edges of the stage graph, by stage index. */
export type StageGraph = ReadonlyMap<number, readonly StageDependency[]>;

/** A dependency cycle as the list of stage indexes (first = last), or undefined. */
export function findCycle(graph: StageGraph): { path: number[]; edge: StageDependency } | undefined {
  const done = new Set<number>();
  const visit = (index: number, path: number[], edges: StageDependency[]): { path: number[]; edge: StageDependency } | undefined => {
    if (done.has(index)) return undefined;
    for (const dep of graph.get(index) ?? []) {
      if (dep.kind !== 'stage') continue;
      const start = path.indexOf(dep.index);
      if (start !== -1) return { path: [...path.slice(start), dep.index], edge: edges[start] ?? dep };
      const found = visit(dep.index, [...path, dep.index], [...edges, dep]);
      if (found !== undefined) return found;
    }
    done.add(index);
    return undefined;
  };
  for (const index of graph.keys()) {
    const found = visit(index, [index], []);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The stages `target` needs, itself included. */
export function reachableFrom(target: number, graph: StageGraph): Set<number> {
  const seen = new Set<number>();
  const stack = [target];
  for (let index = stack.pop(); index !== undefined; index = stack.pop()) {
    if (seen.has(index)) continue;
    seen.add(index);
    for (const dep of graph.get(index) ?? []) if (dep.kind === 'stage') stack.push(dep.index);
  }
  return seen;
}
