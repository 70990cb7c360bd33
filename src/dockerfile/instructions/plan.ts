// Build planning (BuildKit's dockerfile2llb toDispatchState up to dispatch): which stages a
// build of the target runs, in which order, on which base, with which args. Expands the FROM
// lines with the global args, resolves stage references, rejects cycles and references to
// later stages, prunes what the target does not need, and dispatches the remaining stages
// (expanding every command) so that a bad value fails here, with its location.
import { KilnError } from '../../util/errors.js';
import type { DockerfileAST, Range } from '../ast.js';
import type { Env } from '../words.js';
import { evaluateMetaArgs, isPredefinedArg, platformArgs, proxyEnvFromBuildArgs, resolveBuildArgs, type MetaArg, type ProxyEnv } from './args.js';
import { commandDependencies, findCycle, reachableFrom, type StageDependency, type StageGraph } from './deps.js';
import { dispatchStage, imageScope, type DispatchContext, type StageDispatch, type StageScope } from './dispatch.js';
import { errorAt } from './errors.js';
import { makeLexers, type ExpansionRecord, type Lexers } from './expand.js';
import { selectFrontend, type FrontendSelection } from './frontend.js';
import { hostPlatform, normalizePlatform, parsePlatform, PlatformError, type Platform } from '../../image/index.js';
import { resolveBase, type ResolvedBase, type StageBase } from './base.js';
import { parseStages, type ParsedDockerfile } from './stages.js';
import { chooseTarget } from './target.js';
import type { Stage } from './types.js';

export interface PlanOptions {
  /** The stage to build; default: the last one. */
  target?: string;
  /** `--build-arg` values; undefined means "from the environment" (`--build-arg NAME`). */
  buildArgs?: Readonly<Record<string, string | undefined>>;
  /** `--platform`: the target platform; default: this machine's. */
  platform?: string;
  /** Plan (and dispatch) every stage, not only those the target needs (for checks). */
  allStages?: boolean;
  /** Where `--build-arg NAME` values come from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** This machine's platform; default from process.arch and process.platform. */
  buildPlatform?: Platform;
}

export interface PlannedStage {
  index: number;
  name: string | undefined;
  /** The name, or `stage-<index>` as BuildKit shows unnamed stages. */
  displayName: string;
  stage: Stage;
  base: StageBase;
  /** FROM --platform after expansion; undefined means the target platform. */
  platform: Platform | undefined;
  /** Stages and images this stage needs: its base stage, COPY --from, RUN --mount from=. */
  deps: StageDependency[];
  range: Range;
  /** The FROM image word after expansion with the global args. */
  baseExpansion: ExpansionRecord;
  platformExpansion: ExpansionRecord | undefined;
  /**
   * The stage's commands walked with the evolving env. Base images are not resolved while
   * planning, so on an image the scope is incomplete and steps that use variables the image
   * may define are provisional: the LLB converter walks again with redispatch().
   */
  dispatch: StageDispatch;
}

export interface PlanWarning {
  message: string;
  range?: Range;
}

export interface BuildPlan {
  file: string;
  escapeToken: '\\' | '`';
  frontend: FrontendSelection;
  /** The stages the build runs, dependencies first (file order, which BuildKit enforces). */
  stages: PlannedStage[];
  target: PlannedStage;
  /** The typed commands of the whole file: every stage, planned or not, and the global ARGs. */
  parsed: ParsedDockerfile;
  buildPlatform: Platform;
  targetPlatform: Platform;
  /** What FROM lines see: the predefined args and the global ARGs. */
  globalArgs: Env;
  metaArgs: MetaArg[];
  buildArgs: ReadonlyMap<string, string>;
  /** Build-args that no ARG of the planned stages declares (and that are not predefined). */
  unusedBuildArgs: string[];
  proxyEnv: ProxyEnv | undefined;
  /** Every image the build pulls: image bases and COPY/mount sources that are images. */
  images: string[];
  warnings: PlanWarning[];
}

export function planBuild(ast: DockerfileAST, options: PlanOptions = {}): BuildPlan {
  const buildArgs = resolveBuildArgs(options.buildArgs ?? {}, options.env ?? process.env);
  const frontend = selectFrontend(ast, buildArgs);
  const parsed = parseStages(ast);
  const buildPlatform = normalizePlatform(options.buildPlatform ?? hostPlatform());
  const targetPlatform = options.platform === undefined ? buildPlatform : platformOption(options.platform, buildPlatform);
  const lexers = makeLexers(ast.escapeToken);
  const targetStage = chooseTarget(parsed.stages, options.target);
  const predefined = platformArgs(buildPlatform, targetPlatform, options.target || targetStage.name || '', buildArgs);
  const meta = evaluateMetaArgs(parsed.metaArgs, predefined, buildArgs, lexers.word, parsed.source);
  const ctx: DispatchContext = { source: parsed.source, lexers, globalArgs: meta.env, buildArgs };
  const bases = parsed.stages.map((s) => resolveBase(s, parsed.stages, meta.env, lexers.word, parsed.source));
  const graph = stageGraph(parsed, bases.map((b) => b.deps), lexers);
  const included = options.allStages ? new Set(graph.keys()) : reachableFrom(targetStage.index, graph);
  const stages = dispatchInOrder(parsed, bases, graph, included, ctx, targetPlatform);
  const target = stages.find((s) => s.index === targetStage.index) as PlannedStage;
  const unusedBuildArgs = unusedArgs(buildArgs, meta.args, stages);
  return {
    file: ast.file, escapeToken: ast.escapeToken, frontend, stages, target,
    parsed, buildPlatform, targetPlatform, globalArgs: meta.env, metaArgs: meta.args, buildArgs,
    unusedBuildArgs, proxyEnv: proxyEnvFromBuildArgs(buildArgs), images: imagesOf(stages), warnings: warningsFor(unusedBuildArgs),
  };
}

/**
 * Walks the planned stages again with the env each base image really has (known once the
 * images are resolved), each stage built FROM another inheriting that one's final scope.
 * `imageEnv` is asked for stages on an image; undefined means "still unknown" (the stage's
 * steps may then be provisional, as while planning). Errors deferred while planning surface
 * here. Returns the walks by stage index.
 */
export function redispatch(
  plan: BuildPlan,
  imageEnv: (stage: PlannedStage) => Iterable<readonly [string, string]> | undefined,
): Map<number, StageDispatch> {
  const lexers = makeLexers(plan.escapeToken);
  const ctx: DispatchContext = { source: plan.parsed.source, lexers, globalArgs: plan.globalArgs, buildArgs: plan.buildArgs };
  const done = new Map<number, StageDispatch>();
  for (const stage of plan.stages) {
    const env = stage.base.kind === 'image' ? imageEnv(stage) : undefined;
    const start = startScope(stage.base, done, env, (stage.platform ?? plan.targetPlatform).os);
    done.set(stage.index, dispatchStage(stage.stage, start, ctx));
  }
  return done;
}

function platformOption(text: string, build: Platform): Platform {
  try {
    return normalizePlatform(parsePlatform(text, build));
  } catch (err) {
    if (!(err instanceof PlatformError)) throw err;
    throw new KilnError('INVALID_ARGUMENT', `invalid platform "${text}": ${err.message}`, {
      hint: 'give os/arch[/variant], e.g. linux/amd64 or linux/arm64',
      details: { flag: '--platform' },
    });
  }
}

function stageGraph(parsed: ParsedDockerfile, baseDeps: readonly StageDependency[][], lexers: Lexers): StageGraph {
  const graph = new Map<number, StageDependency[]>();
  for (const stage of parsed.stages) {
    const deps = [...(baseDeps[stage.index] ?? []), ...commandDependencies(stage, parsed.stages, lexers.word, parsed.source)];
    graph.set(stage.index, deps);
  }
  const cycle = findCycle(graph);
  if (cycle !== undefined) {
    const names = cycle.path.map((i) => displayName(parsed.stages[i]));
    const message = `circular dependency detected on stage: ${names[0] ?? ''} (${names.join(' -> ')})`;
    throw errorAt(parsed.source, cycle.edge.range, message, 'a stage can only copy or mount from stages that do not need it');
  }
  return graph;
}

function dispatchInOrder(
  parsed: ParsedDockerfile,
  bases: readonly ResolvedBase[],
  graph: StageGraph,
  included: ReadonlySet<number>,
  ctx: DispatchContext,
  targetPlatform: Platform,
): PlannedStage[] {
  const done = new Map<number, StageDispatch>();
  const planned: PlannedStage[] = [];
  for (const stage of parsed.stages) {
    if (!included.has(stage.index)) continue;
    const deps = graph.get(stage.index) ?? [];
    checkDefinedBefore(stage, deps, parsed);
    const resolved = bases[stage.index];
    if (resolved === undefined) continue;
    const dispatch = dispatchStage(stage, startScope(resolved.base, done, undefined, (resolved.platform ?? targetPlatform).os), ctx);
    done.set(stage.index, dispatch);
    planned.push({ index: stage.index, name: stage.name, displayName: displayName(stage), stage, ...resolved, deps: [...deps], range: stage.from.range, dispatch });
  }
  return planned;
}

// A stage FROM another starts where that one ended; scratch starts empty (but for PATH); an
// image starts with its env, or with an incomplete scope while that env is unknown.
function startScope(
  base: StageBase,
  done: ReadonlyMap<number, StageDispatch>,
  imageEnv: Iterable<readonly [string, string]> | undefined,
  os: string,
): StageScope {
  const parent = base.kind === 'stage' ? done.get(base.index) : undefined;
  if (parent !== undefined) return parent.final;
  return imageScope(base.kind === 'scratch' ? [] : imageEnv, os);
}

// BuildKit builds stages in file order, so a stage can only use the ones above it.
function checkDefinedBefore(stage: Stage, deps: readonly StageDependency[], parsed: ParsedDockerfile): void {
  for (const dep of deps) {
    if (dep.kind !== 'stage' || dep.index < stage.index) continue;
    const other = displayName(parsed.stages[dep.index]);
    const message = dep.via === 'mount'
      ? `cannot mount from stage "${other}", it needs to be defined before current stage "${displayName(stage)}"`
      : `cannot copy from stage "${other}", it needs to be defined before current stage "${displayName(stage)}"`;
    throw errorAt(parsed.source, dep.range, message, `move stage "${other}" above stage "${displayName(stage)}"`);
  }
}

export function displayName(stage: Stage | undefined): string {
  if (stage === undefined) return '';
  return stage.name ?? `stage-${stage.index}`;
}

function unusedArgs(buildArgs: ReadonlyMap<string, string>, metaArgs: readonly MetaArg[], stages: readonly PlannedStage[]): string[] {
  const declared = new Set(metaArgs.map((a) => a.key));
  for (const stage of stages) {
    for (const cmd of stage.stage.commands) if (cmd.kind === 'arg') for (const a of cmd.args) declared.add(a.key);
  }
  return [...buildArgs.keys()].filter((k) => !declared.has(k) && !isPredefinedArg(k)).sort();
}

function warningsFor(unused: readonly string[]): PlanWarning[] {
  if (unused.length === 0) return [];
  return [{ message: `build-args not consumed by any ARG of the build: ${unused.join(', ')}` }];
}

function imagesOf(stages: readonly PlannedStage[]): string[] {
  const refs = new Set<string>();
  for (const stage of stages) {
    if (stage.base.kind === 'image') refs.add(stage.base.ref);
    for (const dep of stage.deps) if (dep.kind === 'image') refs.add(dep.ref);
  }
  return [...refs];
}
