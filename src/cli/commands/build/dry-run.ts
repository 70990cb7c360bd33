// `kiln build --dry-run`: the plan of a build, on stdout, one line per step in the order the
// steps depend on each other: whether it would come from this store's cache, from an imported
// cache (--cache-from), or run, and for a step that would run, why (the reason a build's
// progress gives for a miss, or the step before it that would run). A summary line ends it.
// `--progress=rawjson` prints the plan as one JSON document instead.
import type { BuildPlanMessage, PlannedStepMessage } from '../../../api/build.js';

const label: Record<PlannedStepMessage['status'], string> = { cached: 'CACHED', imported: 'IMPORTED', run: 'WOULD RUN' };

function stepLine(step: PlannedStepMessage): string {
  const status = label[step.status].padEnd(9);
  return step.reason === undefined ? `${status} ${step.name}` : `${status} ${step.name}  (${step.reason})`;
}

/** The plan as the lines `kiln build --dry-run` prints. */
export function planLines(plan: BuildPlanMessage): string[] {
  const lines: string[] = [];
  const several = plan.targets.length > 1;
  for (const { target, steps } of plan.targets) {
    if (several) lines.push(`target ${target ?? '(last stage)'}:`);
    for (const step of steps) lines.push(`${several ? '  ' : ''}${stepLine(step)}`);
  }
  const all = plan.targets.flatMap(({ steps }) => steps);
  const count = (status: PlannedStepMessage['status']): number => new Set(all.filter((step) => step.status === status).map((step) => step.digest)).size;
  lines.push(`${count('cached')} cached, ${count('imported')} from an imported cache, ${count('run')} would run`);
  return lines;
}
