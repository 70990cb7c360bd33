// ONBUILD triggers (BuildKit's dispatchOnBuildTriggers): the OnBuild lines of a stage's base
// (an image's config, or an earlier stage's ONBUILD instructions) are parsed as Dockerfile
// lines and run as the stage's first commands, with the base's env; the stage's own commands,
// and the stages built FROM it, then see what they set. startStage clears them from the new
// image's config.
//
// A trigger is not in the Dockerfile, so every error about it is shown at the stage's FROM,
// the trigger named in the message.
import { KilnError, sourceError } from '../../util/errors.js';
import { parseDockerfile } from '../parser.js';
import {
  dispatchCommand, dispatchStage, makeLexers, parseInstruction,
  type BuildPlan, type Command, type DispatchContext, type DispatchStep, type PlannedStage, type StageDispatch, type StageScope,
} from '../instructions/index.js';
import type { SourceText } from './errors.js';
import { convertSteps, type StageSteps } from './stage.js';
import type { StageBuild } from './stage-build.js';

/** One trigger, parsed and dispatched against its own one-line source. */
export interface TriggerStep {
  trigger: string;
  src: SourceText;
  step: DispatchStep;
}

export interface TriggeredStage {
  triggers: TriggerStep[];
  /** The stage's own commands, dispatched after the triggers. */
  walk: StageDispatch;
}

/** Triggers kiln cannot give a meaning to: docker refuses them as triggers, or they need the plan. */
function refusal(cmd: Command | { kind: 'from' }): string | undefined {
  if (cmd.kind === 'from' || cmd.kind === 'onbuild' || cmd.kind === 'maintainer') return `${cmd.kind.toUpperCase()} isn't allowed as an ONBUILD trigger`;
  // Their sources are stages the plan did not order before this one.
  if (cmd.kind === 'copy' && cmd.from !== undefined) return 'COPY --from in an ONBUILD trigger is not supported yet';
  if (cmd.kind === 'run' && cmd.mounts.some((m) => m.from !== undefined)) return 'RUN --mount with from= in an ONBUILD trigger is not supported yet';
  return undefined;
}

/** Re-raises an error about `trigger` at the stage's FROM line. */
function atFrom(plan: BuildPlan, stage: PlannedStage, trigger: string, err: unknown): unknown {
  if (!(err instanceof KilnError)) return err;
  const src = plan.parsed.source;
  const location = { file: src.file, range: stage.range, text: src.lines[stage.range.start.line - 1] ?? '' };
  return sourceError(`ONBUILD trigger "${trigger}" of the base of stage ${stage.displayName}: ${err.message}`, location, err.hint, err.code);
}

function parseTrigger(trigger: string): { src: SourceText; cmd: Command } {
  const ast = parseDockerfile(trigger, { file: 'ONBUILD' });
  const [node, ...more] = ast.instructions;
  if (node === undefined || more.length > 0) throw new KilnError('INVALID_ARGUMENT', 'an ONBUILD trigger should be a single expression');
  const src = { file: ast.file, lines: ast.lines };
  const cmd = parseInstruction(node, src);
  const refused = refusal(cmd);
  if (refused !== undefined) throw new KilnError(cmd.kind === 'copy' || cmd.kind === 'run' ? 'NOT_IMPLEMENTED' : 'INVALID_ARGUMENT', refused);
  return { src, cmd: cmd as Command };
}

/**
 * Dispatches the base's triggers from the stage's starting scope, then the stage's commands
 * from the scope the triggers leave. `start` is the final scope of the base stage as it was
 * converted: when that stage ran triggers of its own, it differs from the one the planned walk
 * started from. Without either change the planned walk stays as it is.
 */
export function dispatchTriggers(plan: BuildPlan, stage: PlannedStage, triggers: readonly string[], walk: StageDispatch, start?: StageScope): TriggeredStage {
  const planned = walk.steps[0]?.before ?? walk.final;
  if (triggers.length === 0 && (start === undefined || start === planned)) return { triggers: [], walk };
  const lexers = makeLexers(plan.escapeToken);
  let scope = start ?? planned;
  const steps: TriggerStep[] = [];
  for (const trigger of triggers) {
    try {
      const { src, cmd } = parseTrigger(trigger);
      const ctx: DispatchContext = { source: src, lexers, globalArgs: plan.globalArgs, buildArgs: plan.buildArgs };
      const step = dispatchCommand(cmd, scope, ctx);
      steps.push({ trigger, src, step });
      scope = step.after;
    } catch (err) {
      throw atFrom(plan, stage, trigger, err);
    }
  }
  const ctx: DispatchContext = { source: plan.parsed.source, lexers, globalArgs: plan.globalArgs, buildArgs: plan.buildArgs };
  return { triggers: steps, walk: dispatchStage(stage.stage, scope, ctx) };
}

/** How many of the triggers make a vertex (counted in the stage's step names). */
export function triggerVertices(triggered: TriggeredStage): number {
  return triggered.triggers.filter((t) => ['run', 'copy', 'add', 'workdir'].includes(t.step.command.kind)).length;
}

/** Converts the triggers, in order, as the stage's first steps. */
export function convertTriggers(b: StageBuild, plan: BuildPlan, triggered: TriggeredStage, env: StageSteps): void {
  for (const { trigger, src, step } of triggered.triggers) {
    try {
      convertSteps(b, { steps: [step], final: step.after }, { ...env, src, copyFrom: [], mountFrom: [] });
    } catch (err) {
      throw atFrom(plan, b.stage, trigger, err);
    }
  }
}
