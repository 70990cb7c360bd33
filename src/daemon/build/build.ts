// `kiln build`, in the engine: the build prepared (prepared-build.ts: the Dockerfile planned and
// converted to LLB for each target, the context opened in place, imported caches read), every
// target solved at once on snapshots with the persistent cache, and each result exported as
// an image and delivered; then the cache exported. The context's stat cache is saved after
// the build so the next one re-hashes only what changed. `--dry-run` plans instead of solving.
import type { ContextStats } from '../../contenthash/index.js';
import type { Digest } from '../../content/index.js';
import type { RegistryClient } from '../../registry/client.js';
import type { PlannedStep, ProgressSink } from '../../solver/index.js';
import type { OverlaySnapshotter } from '../../snapshot/index.js';
import type { ImageEngine } from '../images/engine.js';
import type { LocalImage } from '../images/local.js';
import type { BuildOutput, BuiltImageDescriptor } from '../../api/build-output.js';
import type { CacheExport, CacheImport } from '../../api/build-cache.js';
import { exportImage } from './export.js';
import { deliverOutput } from './outputs.js';
import type { SolvedKeys } from './cache-export.js';
import { fileImageChain } from './image-chain-records.js';
import { declaredCacheMounts } from './cache-mount-transfer.js';
import { prepareBuild, settledAll, type TargetBuild } from './prepared-build.js';
import { exportCaches, inlineCacheFields } from './remote-cache.js';

export interface BuildOptions {
  contextDir: string;
  /** The Dockerfile's path; default `<context>/Dockerfile`. */
  dockerfile?: string;
  tags?: string[];
  buildArgs?: Record<string, string | undefined>;
  target?: string;
  /** More stages to build in the same solve (`--target a --target b`), each an image of its own. */
  targets?: string[];
  noCache?: boolean;
  /** Steps run at once at most; default the engine solver's (engine-solver.ts defaultJobs). */
  jobs?: number;
  progress?: ProgressSink;
  signal?: AbortSignal;
  /** Where the result goes (at most one); default: the image in the store. */
  outputs?: BuildOutput[];
  /** `--secret` values by id, in memory for this build only (never in a key, layer or log). */
  secrets?: ReadonlyMap<string, Buffer>;
  /** `--ssh` agent sockets by id. */
  sshAgents?: ReadonlyMap<string, string>;
  /**
   * The context directory exists for this build only (an upload, removed after it): it is not
   * watched for the next build, and no stat cache is kept for its path.
   */
  transientContext?: boolean;
  /**
   * The registry client for base images and --push, with the request's credentials, made only
   * when a registry is needed; default the engine's.
   */
  registry?: () => Promise<RegistryClient>;
  /** `--cache-from`: caches whose results the solve may take (after the local cache). */
  cacheFrom?: CacheImport[];
  /** `--cache-to`: where the build's cache is exported once the image is delivered. */
  cacheTo?: CacheExport[];
}

/** What `--dry-run` found for each target. */
export interface BuildPlan {
  targets: { target?: string; steps: PlannedStep[] }[];
  warnings: string[];
}

/** One target's image. */
export interface BuiltTarget {
  /** The stage it was built from, when one was named. */
  target?: string;
  /** The image ID (its config's digest). */
  id: Digest;
  manifest: Digest;
  /** The names given to the image (the tags, and an image or archive output's own), normalized. */
  names: string[];
  descriptor: BuiltImageDescriptor;
}

/** The build's image (the first target's), and every target's when there were several. */
export interface BuildResult extends Omit<BuiltTarget, 'target'> {
  images?: BuiltTarget[];
  /**
   * What reading the build context cost: the files hashed (each at most once per build,
   * however many steps read it, and only those some step reads), the stat cache's hits.
   */
  context: ContextStats;
  /** What went wrong without failing the build (a cache that could not be imported or exported). */
  warnings: string[];
}

export async function buildImage(engine: ImageEngine, options: BuildOptions): Promise<BuildResult> {
  await using build = await prepareBuild(engine, options);
  const { targets, sources, warnings, context, snapshotter } = build;
  const exporting = (options.cacheTo ?? []).length > 0;
  const { signal } = build;
  // One target failing stops the others: the build has failed, and its hold on the cache goes.
  await settledAll(targets.map(async (target) => {
    target.result = target.head === undefined ? { snapshot: undefined } : await build.solver.solve(target.head, {
      signal,
      ...(options.progress === undefined ? {} : { progress: options.progress }),
      ...(sources.length === 0 ? {} : { sources }),
      ...(exporting ? { keys: (vertex: SolvedKeys['vertex'], outputs: Digest[][]) => void target.solved.push({ vertex, outputs }) } : {}),
    });
  }), build.abort);
  if (options.transientContext !== true) await context.save();
  const built: BuiltTarget[] = [];
  for (const target of targets) built.push(await finishTarget(engine, snapshotter, target, { ...options, signal, images: build.images, sourceDateEpoch: build.sourceDateEpoch, warnings }));
  if (exporting) {
    const input = { solved: targets.flatMap(({ solved }) => solved), heads: targets.map(({ head }) => head), cacheMounts: declaredCacheMounts(targets.map(({ definition }) => definition)) };
    warnings.push(...await exportCaches(engine, snapshotter, options.cacheTo ?? [], input, build.cacheOptions));
  }
  for (const source of sources) warnings.push(...source.warnings);
  const first = built[0] as BuiltTarget;
  const { target: _target, ...image } = first;
  return { ...image, context: context.stats, warnings: [...new Set(warnings)], ...(built.length > 1 ? { images: built } : {}) };
}

/** Each target's plan (`--dry-run`): what the build would take from a cache and what it would run. */
export async function dryRunBuild(engine: ImageEngine, options: BuildOptions): Promise<BuildPlan> {
  await using build = await prepareBuild(engine, options);
  const targets = await Promise.all(build.targets.map(async (target) => ({
    ...(target.plan.target === undefined ? {} : { target: target.plan.target }),
    steps: target.head === undefined ? [] : await build.solver.plan(target.head, build.sources),
  })));
  return { targets, warnings: build.warnings };
}

/** A solved target's image: committed (with its inline cache), delivered, named. */
async function finishTarget(engine: ImageEngine, snapshotter: OverlaySnapshotter, target: TargetBuild, options: BuildOptions & {
  images: Map<string, Promise<LocalImage>>; sourceDateEpoch: Date | undefined; warnings: string[];
}): Promise<BuiltTarget> {
  const { conversion, solved, head } = target;
  const result = target.result?.snapshot;
  const { sourceDateEpoch } = options;
  const baseRef = conversion.baseImage?.ref;
  const base = baseRef === undefined ? undefined : await options.images.get(baseRef);
  // Cache work warns rather than fails the build, as an export does.
  const warn = (what: string) => (err: unknown): undefined => {
    if (options.signal?.aborted === true) throw err;
    options.warnings.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  };
  if (options.cacheTo !== undefined && options.cacheTo.length > 0) {
    await fileImageChain(engine, snapshotter, solved, result, conversion.baseImage?.config.rootfs.diff_ids.length ?? 0).catch(warn('filing the records of the image\'s steps'));
  }
  const inline = (options.cacheTo ?? []).some((spec) => spec.type === 'inline')
    ? await inlineCacheFields(engine, snapshotter, { solved, heads: [head] }, sourceDateEpoch, options.warnings).catch(warn('--cache-to type=inline')) : undefined;
  const committed = await exportImage(engine, snapshotter, {
    ...(inline === undefined ? {} : { configFields: inline }),
    conversion, baseManifest: base?.manifest, result,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(sourceDateEpoch === undefined ? {} : { sourceDateEpoch }),
  });
  const stored = await deliverOutput(engine, snapshotter, target.plan.output, {
    ...(options.registry === undefined ? {} : { registry: options.registry }),
    image: committed, snapshot: result,
    ...(sourceDateEpoch === undefined ? {} : { sourceDateEpoch }),
    ...(options.progress === undefined ? {} : { progress: options.progress }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return {
    ...(target.plan.target === undefined ? {} : { target: target.plan.target }),
    id: committed.config.digest, manifest: committed.manifest.digest, names: stored, descriptor: committed.manifest,
  };
}
