// The steps of a classic docker build, numbered as dockerd's legacy builder numbers them: every
// global ARG, then every instruction of every stage up to the target, FROMs included
// ("Step 7/11 : RUN …"). kiln builds the Dockerfile as a graph instead (stages in parallel,
// stages the target does not need left out, config-only instructions with no step of their
// own), so the steps are matched to the build's vertices by the names the Dockerfile converter
// gives them: `[stage-0 2/4] RUN …` is the second step that makes a vertex in stage-0, counting
// FROM an image, RUN, COPY, ADD and WORKDIR (dockerfile/convert/names.ts), and the stage name
// is left out when the file has a single stage.
import { posix } from 'node:path';
import type { BuildPlan, PlannedStage } from '../../dockerfile/index.js';

/**
 * - `meta-arg`: a global ARG, printed alone.
 * - `from-image`, `from-stage`, `from-scratch`: a stage's FROM.
 * - `run`: a RUN (a process runs: "Running in"); `vertex`: COPY, ADD or WORKDIR.
 * - `config`: an instruction that only changes the image config (ENV, CMD, LABEL, …).
 * - `skipped`: the FROM of a stage the target does not need (its instructions are not shown).
 */
export type StepKind = 'meta-arg' | 'from-image' | 'from-stage' | 'from-scratch' | 'run' | 'vertex' | 'config' | 'skipped';

export interface LegacyStep {
  /** "Step N/M". */
  number: number;
  /** The instruction as written (its logical line). */
  text: string;
  kind: StepKind;
  /** The stage's index in the file; -1 for global ARGs. */
  stage: number;
  /** `from-stage`: the stage it starts from. */
  baseStage?: number;
  /** `from-image`: the image reference, expanded. */
  baseRef?: string;
}

export interface LegacySteps {
  steps: LegacyStep[];
  /** "Step N/M": M. */
  total: number;
  /** The step a vertex belongs to, by the vertex's progress name; undefined for vertices of no step. */
  stepOf(vertexName: string): number | undefined;
}

interface StageVertices {
  /** Step index by vertex ordinal (1-based). */
  byOrdinal: number[];
  /** Ordinal of the FROM vertex (1), or 0 when the stage does not start on an image. */
  fromOrdinal: number;
}

const vertexName = /^\[(?:(\S+) )? *(\d+)\/(\d+)\] /;

export function legacySteps(plan: BuildPlan): LegacySteps {
  const steps: LegacyStep[] = [];
  const stages = new Map<string, StageVertices>();
  const planned = new Map(plan.stages.map((stage) => [stage.index, stage]));
  const fileStages = plan.parsed.stages.slice(0, plan.target.index + 1);
  let number = 0;
  for (const arg of plan.parsed.metaArgs) steps.push({ number: ++number, text: arg.original, kind: 'meta-arg', stage: -1 });
  for (const stage of fileStages) {
    const found = planned.get(stage.index);
    if (found === undefined) {
      steps.push({ number: ++number, text: stage.from.original, kind: 'skipped', stage: stage.index });
      number += stage.commands.length;
      continue;
    }
    stages.set(found.displayName, stageSteps(found, steps, () => ++number));
  }
  const only = plan.stages.length === 1 ? plan.stages[0]?.displayName : undefined;
  return {
    steps,
    total: number,
    stepOf(name) {
      const match = vertexName.exec(name);
      if (match === null) return undefined;
      const stage = stages.get(match[1] ?? only ?? '');
      if (stage === undefined) return undefined;
      return stepAt(stage, Number(match[2]), Number(match[3]));
    },
  };
}

/** Appends a planned stage's steps; returns where its vertices land. */
function stageSteps(stage: PlannedStage, steps: LegacyStep[], next: () => number): StageVertices {
  const byOrdinal: number[] = [];
  const base = stage.base;
  const fromKind: StepKind = base.kind === 'image' ? 'from-image' : base.kind === 'stage' ? 'from-stage' : 'from-scratch';
  steps.push({
    number: next(), text: stage.stage.from.original, kind: fromKind, stage: stage.index,
    ...(base.kind === 'image' ? { baseRef: base.ref } : {}),
    ...(base.kind === 'stage' ? { baseStage: base.index } : {}),
  });
  if (base.kind === 'image') byOrdinal.push(steps.length - 1);
  // WORKDIR / makes no vertex (there is nothing to create); the directory is tracked to see it.
  let dir = '/';
  for (const step of stage.dispatch.steps) {
    const command = step.command;
    let kind: StepKind = 'config';
    if (command.kind === 'run') kind = 'run';
    else if (command.kind === 'copy' || command.kind === 'add') kind = 'vertex';
    else if (command.kind === 'workdir') {
      dir = posix.resolve(dir, command.path);
      kind = dir === '/' ? 'config' : 'vertex';
    }
    steps.push({ number: next(), text: step.parsed.original, kind, stage: stage.index });
    if (kind !== 'config') byOrdinal.push(steps.length - 1);
  }
  return { byOrdinal, fromOrdinal: base.kind === 'image' ? 1 : 0 };
}

/**
 * The step of a stage's `ordinal`th vertex out of `total`. ONBUILD triggers of the base come
 * right after its FROM and make vertices of their own, which no step of this file stands for.
 */
function stepAt(stage: StageVertices, ordinal: number, total: number): number | undefined {
  const triggers = Math.max(0, total - stage.byOrdinal.length);
  if (ordinal <= stage.fromOrdinal) return stage.byOrdinal[ordinal - 1];
  if (ordinal <= stage.fromOrdinal + triggers) return undefined;
  return stage.byOrdinal[ordinal - triggers - 1];
}
