// The Dockerfile frontend's last step (BuildKit's dockerfile2llb): a build plan becomes the
// target stage's LLB State and image config. Images are resolved first, in parallel, because
// their env feeds the expansion of every stage on them; then each planned stage is walked
// again with that env (redispatch) and converted, dependencies first.
import { posix } from 'node:path';
import { formatPlatform, type ImageConfig, type Platform } from '../../image/index.js';
import { image, local, scratch, type State, type StateMetadata } from '../../llb/index.js';
import { redispatch, type BuildPlan, type PlannedStage, type StageDispatch } from '../instructions/index.js';
import { contextPaths } from './copy.js';
import { nameLexers, StepNamer, stepTotal } from './names.js';
import { convertTriggers, dispatchTriggers, triggerVertices } from './onbuild.js';
import { baseTriggers, envKey, startStage, type StageBuild, type StageStart } from './stage-build.js';
import { convertSteps } from './stage.js';
import type { Conversion, ConvertOptions, ResolvedImage } from './types.js';

type Images = ReadonlyMap<string, ResolvedImage>;

export async function convertDockerfile(plan: BuildPlan, options: ConvertOptions): Promise<Conversion> {
  const images = await resolveImages(plan, options);
  const walks = redispatch(plan, (stage) => {
    const resolved = stage.base.kind === 'image' ? images.get(imageKey(stage.base.ref, stagePlatform(plan, stage))) : undefined;
    return resolved === undefined ? undefined : envPairs(resolved.config);
  });
  const metadata: StateMetadata = options.noCache === true ? { ignoreCache: true } : {};
  const src = plan.parsed.source;
  const lexers = nameLexers(plan.escapeToken);
  const context = contextSource(options.contextName ?? 'context', plan, walks, metadata);
  const showStageNames = plan.parsed.stages.length > 1 || plan.stages.some((s) => s.deps.some((d) => d.kind === 'image'));
  const built = new Map<number, StageBuild>();
  /** Each stage's walk as converted: ONBUILD triggers can change a planned one (onbuild.ts). */
  const dispatched = new Map<number, StageDispatch>();
  let steps = 0;
  for (const stage of plan.stages) {
    const start = stageStart(plan, stage, images, built);
    const parentFinal = stage.base.kind === 'stage' ? dispatched.get(stage.base.index)?.final : undefined;
    const triggered = dispatchTriggers(plan, stage, baseTriggers(start), walks.get(stage.index) as StageDispatch, parentFinal);
    dispatched.set(stage.index, triggered.walk);
    const platform = stagePlatform(plan, stage);
    const namer = new StepNamer(showStageNames ? stage.displayName : undefined, stepTotal(stage) + triggerVertices(triggered));
    const build = startStage(start, { stage, platform, namer, metadata });
    const copyFrom = depSources(plan, stage, 'copy', images, built, metadata);
    const mountFrom = depSources(plan, stage, 'mount', images, built, metadata);
    convertTriggers(build, plan, triggered, { src, lexers, context, copyFrom, mountFrom });
    convertSteps(build, triggered.walk, { src, lexers, context, copyFrom, mountFrom });
    built.set(stage.index, build);
    steps += namer.total;
  }
  const target = built.get(plan.target.index) as StageBuild;
  return {
    state: target.state,
    config: { ...target.config, history: [...(target.config.history ?? []), ...target.added] },
    history: target.added,
    ...(target.baseImage === undefined ? {} : { baseImage: target.baseImage }),
    steps,
  };
}

function stagePlatform(plan: BuildPlan, stage: PlannedStage): Platform {
  return stage.platform ?? plan.targetPlatform;
}

/** Images are looked up per platform: one reference can name different images on two. */
function imageKey(ref: string, platform: Platform): string {
  return `${ref} ${formatPlatform(platform)}`;
}

async function resolveImages(plan: BuildPlan, options: ConvertOptions): Promise<Images> {
  const wanted = new Map<string, { ref: string; platform: Platform }>();
  for (const stage of plan.stages) {
    if (stage.base.kind === 'image') wanted.set(imageKey(stage.base.ref, stagePlatform(plan, stage)), { ref: stage.base.ref, platform: stagePlatform(plan, stage) });
    // BuildKit pulls `COPY --from` images for the target platform, whatever the stage's.
    for (const dep of stage.deps) if (dep.kind === 'image') wanted.set(imageKey(dep.ref, plan.targetPlatform), { ref: dep.ref, platform: plan.targetPlatform });
  }
  const entries = await Promise.all([...wanted].map(async ([key, w]) => [key, await options.resolveImage(w.ref, w.platform)] as const));
  return new Map(entries);
}

function envPairs(config: ImageConfig): [string, string][] {
  return (config.config?.Env ?? []).map((e) => [envKey(e), e.slice(envKey(e).length + 1)]);
}

function stageStart(plan: BuildPlan, stage: PlannedStage, images: Images, built: ReadonlyMap<number, StageBuild>): StageStart {
  switch (stage.base.kind) {
    case 'scratch':
      return { kind: 'scratch' };
    case 'stage':
      return { kind: 'stage', parent: built.get(stage.base.index) as StageBuild };
    case 'image':
      return { kind: 'image', resolved: images.get(imageKey(stage.base.ref, stagePlatform(plan, stage))) as ResolvedImage };
  }
}

/**
 * The States this stage's `COPY --from` commands (or `RUN --mount=...,from=` mounts) read, in
 * command order (the plan's deps order).
 */
function depSources(plan: BuildPlan, stage: PlannedStage, via: 'copy' | 'mount', images: Images, built: ReadonlyMap<number, StageBuild>, metadata: StateMetadata): State[] {
  return stage.deps.filter((d) => d.via === via).map((dep) => {
    if (dep.kind === 'stage') return (built.get(dep.index) as StageBuild).state;
    const resolved = images.get(imageKey(dep.ref, plan.targetPlatform)) as ResolvedImage;
    if (resolved.config.rootfs.diff_ids.length === 0) return scratch();
    return image(resolved.ref, { platform: plan.targetPlatform }).withMetadata({ ...metadata, customName: `FROM ${resolved.ref}` });
  });
}

/**
 * The build context as a local source that transfers only the paths COPY/ADD read (BuildKit's
 * followPaths), or the whole directory when one of them is the context root.
 */
function contextSource(name: string, plan: BuildPlan, walks: ReadonlyMap<number, StageDispatch>, metadata: StateMetadata): State {
  const paths = new Set<string>();
  for (const stage of plan.stages) {
    for (const step of walks.get(stage.index)?.steps ?? []) {
      if (step.command.kind === 'copy' || step.command.kind === 'add') for (const p of contextPaths(step.command)) paths.add(p);
    }
  }
  const followPaths = paths.has('/') ? undefined : [...paths].map((p) => posix.relative('/', p)).sort();
  const source = local(name, { sharedKeyHint: name, ...(followPaths === undefined || followPaths.length === 0 ? {} : { followPaths }) });
  return source.withMetadata({ ...metadata, customName: '[internal] load build context' });
}
