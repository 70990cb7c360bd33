// Walking the planned stages' commands, each with the env in effect at that point, for the
// rules BuildKit applies while dispatching (convert.go `dispatch`). A stage built FROM another
// stage inherits that stage's state (its SHELL, whether it set a WORKDIR), so the walk tells
// each check which stages a stage is built on.
import type { BuildPlan, CommandKind, DispatchStep, PlannedStage, StageDispatch } from '../instructions/index.js';
import type { Linter } from './linter.js';

export interface StageWalk {
  stage: PlannedStage;
  /** The stages this one is built on, nearest first: their final state is its starting state. */
  ancestors: readonly PlannedStage[];
  /** The OS the stage's commands run on (paths are absolute the Windows way on Windows). */
  os: string;
}

/** Looks at one dispatched command; called for every command of the stage, in order. */
export type StepCheck = (step: DispatchStep) => void;

/** Sets up a rule's per-stage state and returns its step check. */
export type StageCheck = (walk: StageWalk, lint: Linter) => StepCheck;

/**
 * Runs the checks over every planned stage. For each command the checks run in the order
 * given, so that warnings at one instruction come out in BuildKit's order.
 */
export function walkStages(plan: BuildPlan, dispatches: ReadonlyMap<number, StageDispatch>, checks: readonly StageCheck[], lint: Linter): void {
  for (const stage of plan.stages) {
    const ancestors = ancestorsOf(stage, plan);
    const platform = [stage, ...ancestors].find((s) => s.platform !== undefined)?.platform ?? plan.targetPlatform;
    const walk: StageWalk = { stage, ancestors, os: platform.os };
    const steps = (dispatches.get(stage.index) ?? stage.dispatch).steps;
    const stepChecks = checks.map((check) => check(walk, lint));
    for (const step of steps) for (const check of stepChecks) check(step);
  }
}

/** Whether any stage of `stages` has a command of this kind. */
export function anyCommand(stages: readonly PlannedStage[], kind: CommandKind): boolean {
  return stages.some((s) => s.stage.commands.some((c) => c.kind === kind));
}

function ancestorsOf(stage: PlannedStage, plan: BuildPlan): PlannedStage[] {
  const chain: PlannedStage[] = [];
  for (let base = stage.base; base.kind === 'stage'; ) {
    const parentIndex = base.index;
    const parent = plan.stages.find((s) => s.index === parentIndex);
    if (parent === undefined) break;
    chain.push(parent);
    base = parent.base;
  }
  return chain;
}
