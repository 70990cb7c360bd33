// A plain, JSON-ready view of a build plan for people and scripts (`kiln dockerfile stages`):
// the stages in build order with their bases after ARG expansion and what they depend on.
import type { StageDependency } from './deps.js';
import { formatPlatform } from '../../image/index.js';
import type { BuildPlan, PlannedStage } from './plan.js';

export interface StageSummary {
  index: number;
  name: string | undefined;
  displayName: string;
  /** The image reference, `scratch`, or the parent stage's name. */
  base: string;
  baseKind: 'image' | 'stage' | 'scratch';
  /** FROM --platform after expansion, if given. */
  platform: string | undefined;
  /** Stage names and image references this stage needs, without repeats. */
  dependsOn: string[];
  line: number;
  commands: number;
}

export interface PlanSummary {
  file: string;
  target: string;
  buildPlatform: string;
  targetPlatform: string;
  stages: StageSummary[];
  images: string[];
  unusedBuildArgs: string[];
  warnings: string[];
}

export function summarizePlan(plan: BuildPlan): PlanSummary {
  return {
    file: plan.file,
    target: plan.target.displayName,
    buildPlatform: formatPlatform(plan.buildPlatform),
    targetPlatform: formatPlatform(plan.targetPlatform),
    stages: plan.stages.map((s) => summarizeStage(s, plan)),
    images: plan.images,
    unusedBuildArgs: plan.unusedBuildArgs,
    warnings: plan.warnings.map((w) => w.message),
  };
}

function summarizeStage(stage: PlannedStage, plan: BuildPlan): StageSummary {
  const base = stage.base.kind === 'image' ? stage.base.ref : stage.base.kind === 'stage' ? stage.base.name : 'scratch';
  return {
    index: stage.index,
    name: stage.name,
    displayName: stage.displayName,
    base,
    baseKind: stage.base.kind,
    platform: stage.platform === undefined ? undefined : formatPlatform(stage.platform),
    dependsOn: [...new Set(stage.deps.map((d) => dependencyName(d, plan)))],
    line: stage.range.start.line,
    commands: stage.stage.commands.length,
  };
}

function dependencyName(dep: StageDependency, plan: BuildPlan): string {
  if (dep.kind === 'image') return dep.ref;
  const stage = plan.parsed.stages[dep.index];
  return stage?.name ?? `stage-${dep.index}`;
}
