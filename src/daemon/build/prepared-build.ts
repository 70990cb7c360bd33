// A build up to its solve: the Dockerfile read and parsed once, each target planned and
// converted to LLB (base images found in the store or pulled, each once), the context opened
// in place, the imported caches read, and every target's definition loaded for the solver. A
// build then solves it (build.ts buildImage), or only plans it (--dry-run). Disposing of it
// gives up the layers made early and the build's hold on the cache.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { openContext, type BuildContext } from '../../contenthash/index.js';
import { convertDockerfile, loadIgnoreFile, parseDockerfile, PatternMatcher, planBuild, type Conversion } from '../../dockerfile/index.js';
import { marshal, type Definition } from '../../llb/index.js';
import { buildWorkDir, loadDefinition, snapshotCodec, type SnapshotRef } from '../../ops/index.js';
import type { RegistryClient } from '../../registry/client.js';
import type { OverlaySnapshotter } from '../../snapshot/index.js';
import { RecordCacheManager, Solver, type Edge } from '../../solver/index.js';
import { discard } from '../../util/discard.js';
import { KilnError } from '../../util/errors.js';
import { localOrPulled } from '../containers/image.js';
import { engineSnapshotter, type ImageEngine } from '../images/engine.js';
import type { LocalImage } from '../images/local.js';
import type { BuildOptions } from './build.js';
import { engineSolver } from './engine-solver.js';
import { planTargets, type TargetPlan } from './build-targets.js';
import type { SolvedKeys } from './cache-export.js';
import { holdCacheForBuild } from './cache-gc.js';
import type { ImportedCacheSource } from './cache-import.js';
import { sourceDateEpochOf } from './epoch.js';
import { EarlyLayers } from './export.js';
import { buildRuncRoot } from './recover.js';
import { openCacheImports, type RemoteCacheOptions } from './remote-cache.js';

/** One target through the build: planned, converted, loaded, then solved. */
export interface TargetBuild {
  plan: TargetPlan;
  conversion: Conversion;
  definition: Definition;
  head: Edge<SnapshotRef> | undefined;
  /** The keys its solve computed, when a cache export wants them. */
  solved: SolvedKeys[];
  result?: SnapshotRef;
}

export interface PreparedBuild extends AsyncDisposable {
  targets: TargetBuild[];
  solver: Solver<SnapshotRef>;
  snapshotter: OverlaySnapshotter;
  context: BuildContext;
  /** The imported caches that could be read. */
  sources: ImportedCacheSource[];
  /** What went wrong without failing the build, so far. */
  warnings: string[];
  /** The base images the targets resolved, by reference. */
  images: Map<string, Promise<LocalImage>>;
  sourceDateEpoch: Date | undefined;
  cacheOptions: RemoteCacheOptions;
  /** Ends with the client's signal, or when the build gives up (a target failed, disposal). */
  signal: AbortSignal;
  abort(reason: unknown): void;
}

/**
 * The results of every promise, once all have settled; the first failure gives up the rest
 * (through `abort`) and is thrown once they have stopped, so nothing of a failed build goes
 * on behind its back.
 */
export async function settledAll<T>(promises: readonly Promise<T>[], abort: (reason: unknown) => void): Promise<T[]> {
  for (const promise of promises) promise.catch(abort);
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<T>).value);
}

/** A Dockerfile read and parsed once, for every target. */
async function readDockerfile(path: string): Promise<ReturnType<typeof parseDockerfile>> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new KilnError('NOT_FOUND', `failed to read the Dockerfile: open ${path}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`, { details: { flag: '--file' } });
  });
  return parseDockerfile(text, { file: path });
}

/** Base images by reference, each found or pulled once however many targets name it. */
function imageResolver(engine: ImageEngine, options: BuildOptions, signal: AbortSignal, images: Map<string, Promise<LocalImage>>) {
  return async (ref: string): Promise<{ ref: string; config: LocalImage['config'] }> => {
    let image = images.get(ref);
    if (image === undefined) {
      image = localOrPulled(engine, ref, discard(), signal, options.registry);
      image.catch(() => undefined);
      images.set(ref, image);
    }
    return { ref, config: (await image).config };
  };
}

/** Disposes of each in reverse order, each even when one before it failed; the first failure is thrown. */
async function disposeAll(disposables: readonly AsyncDisposable[]): Promise<void> {
  const failures: unknown[] = [];
  for (const disposable of [...disposables].reverse()) {
    try {
      await disposable[Symbol.asyncDispose]();
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length > 0) throw failures[0];
}

export async function prepareBuild(engine: ImageEngine, options: BuildOptions): Promise<PreparedBuild> {
  const plans = planTargets(options);
  // Held until the build is disposed of: a prune waits for it, and its end checks the cache size cap.
  const lease = await holdCacheForBuild(engine);
  const controller = new AbortController();
  const signal = options.signal === undefined ? controller.signal : AbortSignal.any([options.signal, controller.signal]);
  const abort = (reason: unknown): void => controller.abort(reason);
  const disposables: AsyncDisposable[] = [lease, { [Symbol.asyncDispose]: async () => abort(new KilnError('CANCELED', 'the build ended')) }];
  const dispose = (): Promise<void> => disposeAll(disposables);
  try {
    const sourceDateEpoch = sourceDateEpochOf(options.buildArgs);
    const contextDir = resolve(options.contextDir);
    const dockerfile = resolve(options.dockerfile ?? join(contextDir, 'Dockerfile'));
    const ast = await readDockerfile(dockerfile);
    const snapshotter = engineSnapshotter(engine);
    const registry: () => Promise<RegistryClient> = options.registry ?? (() => engine.registry());
    const cacheOptions = { registry, signal, ...(options.progress === undefined ? {} : { progress: options.progress }) };
    // Read while the Dockerfile's base images are resolved.
    const imports = openCacheImports(engine, snapshotter, options.cacheFrom ?? [], cacheOptions);
    imports.catch(() => undefined);
    const images = new Map<string, Promise<LocalImage>>();
    const resolveImage = imageResolver(engine, options, signal, images);
    // Every target planned before any is converted: a stage that is not there fails the build
    // before a base image is pulled for another.
    const stages = plans.map((plan) => planBuild(ast, {
      ...(plan.target === undefined ? {} : { target: plan.target }),
      ...(options.buildArgs === undefined ? {} : { buildArgs: options.buildArgs }),
    }));
    const conversions = await settledAll(stages.map((stage) => convertDockerfile(stage, { resolveImage, ...(options.noCache === true ? { noCache: true } : {}) })), abort);
    const ignore = await loadIgnoreFile(contextDir, dockerfile);
    // The daemon keeps each context's index between builds while inotify reports no change.
    const context = openContext(engine.root, contextDir, ignore === undefined ? undefined : new PatternMatcher(ignore.patterns),
      options.transientContext === true ? {} : { watchKey: JSON.stringify(ignore?.patterns ?? []) });
    const { sources, warnings } = await imports;
    const early = new EarlyLayers(engine, snapshotter, sourceDateEpoch);
    disposables.push(early);
    const ops = {
      engine, snapshotter, runcRoot: buildRuncRoot(engine.root), workDir: buildWorkDir(engine.root), locals: new Map([['context', context]]), layerReady: early.start,
      everyLayer: (options.cacheTo ?? []).some((spec) => spec.type !== 'inline' && spec.mode === 'max'),
      cacheMountImports: (id: string) => sources.map((source) => source.mountFill(engine, id)).find((fill) => fill !== undefined),
      ...(options.secrets === undefined ? {} : { secrets: options.secrets }),
      ...(options.sshAgents === undefined ? {} : { sshAgents: options.sshAgents }),
    };
    // One session for every target: the steps they share are one vertex in the solver's graph.
    const session = randomUUID();
    const targets: TargetBuild[] = plans.map((plan, at) => {
      const conversion = conversions[at] as Conversion;
      const definition = marshal(conversion.state);
      return { plan, conversion, definition, head: loadDefinition(ops, definition, session), solved: [] };
    });
    // --jobs asks for a solver of its own; otherwise the build shares the engine's.
    const solver = options.jobs === undefined ? engineSolver(engine) : new Solver(new RecordCacheManager(engine.root, snapshotCodec(snapshotter)), { jobs: options.jobs });
    return { targets, solver, snapshotter, context, sources, warnings, images, sourceDateEpoch, cacheOptions, signal, abort, [Symbol.asyncDispose]: dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
