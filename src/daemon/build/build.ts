// `kiln build`, in the engine: the Dockerfile planned and converted to LLB (base images found in
// the store or pulled), the definition solved on snapshots with the persistent cache, the result
// exported as an image and tagged. The build context is read in place; its stat cache is saved
// after the build so the next one re-hashes only what changed.
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { openContext, type ContextStats } from '../../contenthash/index.js';
import type { Digest } from '../../content/index.js';
import { convertDockerfile, loadIgnoreFile, parseDockerfile, PatternMatcher, planBuild } from '../../dockerfile/index.js';
import { marshal } from '../../llb/index.js';
import { buildWorkDir, loadDefinition, snapshotCodec, type SnapshotRef } from '../../ops/index.js';
import { formatReference, parseNormalizedReference, withDefaultTag } from '../../registry/reference.js';
import type { RegistryClient } from '../../registry/client.js';
import { RecordCacheManager, Solver, type ProgressSink } from '../../solver/index.js';
import { discard } from '../../util/discard.js';
import { KilnError } from '../../util/errors.js';
import { localOrPulled } from '../containers/image.js';
import { engineSnapshotter, type ImageEngine } from '../images/engine.js';
import type { LocalImage } from '../images/local.js';
import type { BuildOutput, BuiltImageDescriptor } from '../../api/build-output.js';
import { sourceDateEpochOf } from './epoch.js';
import { EarlyLayers, exportImage } from './export.js';
import { deliverOutput, planOutput } from './outputs.js';
import { holdCacheForBuild } from './cache-gc.js';
import { buildRuncRoot } from './recover.js';
import type { CacheExport, CacheImport } from '../../api/build-cache.js';
import { fileImageChain, type SolvedKeys } from './cache-export.js';
import { exportCaches, inlineCacheFields, openCacheImports } from './remote-cache.js';
import type { ImportedCacheSource } from './cache-import.js';
import { declaredCacheMounts } from './cache-mount-transfer.js';

export interface BuildOptions {
  contextDir: string;
  /** The Dockerfile's path; default `<context>/Dockerfile`. */
  dockerfile?: string;
  tags?: string[];
  buildArgs?: Record<string, string | undefined>;
  target?: string;
  noCache?: boolean;
  /** Steps run at once at most; default {@link defaultJobs}. */
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

const solvers = new WeakMap<ImageEngine, Solver<SnapshotRef>>();

/**
 * Steps of one engine that run at once by default. A step mostly waits (on a RUN's process, a
 * registry, the disk) while the CPU-heavy parts (hashing, compression) queue for the worker
 * pool, which is sized by the cores; so the slots are many, as BuildKit's are unlimited, and
 * a wide DAG of sleeping or I/O-bound RUNs runs all at once.
 */
export const defaultJobs = Math.max(16, 4 * cpus().length);

/**
 * The engine's one solver, made on first use: builds in one process share its graph, so the
 * same step in two concurrent builds runs once.
 */
export function engineSolver(engine: ImageEngine): Solver<SnapshotRef> {
  let solver = solvers.get(engine);
  if (solver === undefined) {
    solver = new Solver(new RecordCacheManager(engine.root, snapshotCodec(engineSnapshotter(engine))), { jobs: defaultJobs });
    solvers.set(engine, solver);
  }
  return solver;
}

export interface BuildResult {
  /** The image ID (its config's digest). */
  id: Digest;
  manifest: Digest;
  /** The names given to the image (the tags, and an image or archive output's own), normalized. */
  names: string[];
  descriptor: BuiltImageDescriptor;
  /**
   * What reading the build context cost: the files hashed (each at most once per build,
   * however many steps read it, and only those some step reads), the stat cache's hits.
   */
  context: ContextStats;
  /** What went wrong without failing the build (a cache that could not be imported or exported). */
  warnings: string[];
}

/** The tags, checked before anything is built: a bad one fails fast. */
function tagNames(tags: readonly string[]): string[] {
  return tags.map((tag) => {
    const ref = parseNormalizedReference(tag);
    if (ref.digest !== undefined) throw new KilnError('INVALID_ARGUMENT', `invalid tag ${tag}: a tag cannot carry a digest`, { details: { flag: '--tag' } });
    return formatReference(withDefaultTag(ref));
  });
}

export async function buildImage(engine: ImageEngine, options: BuildOptions): Promise<BuildResult> {
  const names = tagNames(options.tags ?? []);
  // Held until the build returns: a prune waits for it, and its end checks the cache size cap.
  await using _cacheLease = await holdCacheForBuild(engine);
  const output = planOutput(names, options.outputs);
  const sourceDateEpoch = sourceDateEpochOf(options.buildArgs);
  const contextDir = resolve(options.contextDir);
  const dockerfile = resolve(options.dockerfile ?? join(contextDir, 'Dockerfile'));
  const text = await readFile(dockerfile, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new KilnError('NOT_FOUND', `failed to read the Dockerfile: open ${dockerfile}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`, { details: { flag: '--file' } });
  });
  const plan = planBuild(parseDockerfile(text, { file: dockerfile }), {
    ...(options.target === undefined ? {} : { target: options.target }),
    ...(options.buildArgs === undefined ? {} : { buildArgs: options.buildArgs }),
  });
  const snapshotter = engineSnapshotter(engine);
  const registry = options.registry ?? (() => engine.registry());
  const cacheOptions = { registry, ...(options.progress === undefined ? {} : { progress: options.progress }), ...(options.signal === undefined ? {} : { signal: options.signal }) };
  // Read while the Dockerfile's base images are resolved.
  const imports = openCacheImports(engine, snapshotter, options.cacheFrom ?? [], cacheOptions);
  imports.catch(() => undefined);
  const images = new Map<string, LocalImage>();
  const conversion = await convertDockerfile(plan, {
    resolveImage: async (ref) => {
      const image = await localOrPulled(engine, ref, discard(), options.signal, options.registry);
      images.set(ref, image);
      return { ref, config: image.config };
    },
    ...(options.noCache === true ? { noCache: true } : {}),
  });
  const ignore = await loadIgnoreFile(contextDir, dockerfile);
  // The daemon keeps each context's index between builds while inotify reports no change.
  const context = openContext(engine.root, contextDir, ignore === undefined ? undefined : new PatternMatcher(ignore.patterns),
    options.transientContext === true ? {} : { watchKey: JSON.stringify(ignore?.patterns ?? []) });
  const imported: ImportedCacheSource[] = [];
  await using early = new EarlyLayers(engine, snapshotter, sourceDateEpoch);
  const ops = {
    engine, snapshotter, runcRoot: buildRuncRoot(engine.root), workDir: buildWorkDir(engine.root), locals: new Map([['context', context]]), layerReady: early.start,
    cacheMountImports: (id: string) => imported.find((source) => source.mountFill(engine, id) !== undefined)?.mountFill(engine, id),
    ...(options.secrets === undefined ? {} : { secrets: options.secrets }),
    ...(options.sshAgents === undefined ? {} : { sshAgents: options.sshAgents }),
  };
  const definition = marshal(conversion.state);
  const head = loadDefinition(ops, definition);
  // --jobs asks for a solver of its own; otherwise the build shares the engine's.
  const solver = options.jobs === undefined ? engineSolver(engine) : new Solver(new RecordCacheManager(engine.root, snapshotCodec(snapshotter)), { jobs: options.jobs });
  const { sources, warnings } = await imports;
  imported.push(...sources);
  const solved: SolvedKeys[] = [];
  const exporting = (options.cacheTo ?? []).length > 0;
  const result = head === undefined ? { snapshot: undefined } : await solver.solve(head, {
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.progress === undefined ? {} : { progress: options.progress }),
    ...(sources.length === 0 ? {} : { sources }),
    ...(exporting ? { keys: (vertex: SolvedKeys['vertex'], outputs: Digest[][]) => void solved.push({ vertex, outputs }) } : {}),
  });
  if (options.transientContext !== true) await context.save();
  const base = conversion.baseImage === undefined ? undefined : images.get(conversion.baseImage.ref);
  if (exporting) await fileImageChain(engine, snapshotter, solved, result.snapshot, conversion.baseImage?.config.rootfs.diff_ids.length ?? 0);
  const inline = (options.cacheTo ?? []).some((spec) => spec.type === 'inline')
    ? await inlineCacheFields(engine, snapshotter, { solved, head: head?.vertex }, sourceDateEpoch, warnings) : undefined;
  const committed = await exportImage(engine, snapshotter, {
    ...(inline === undefined ? {} : { configFields: inline }),
    conversion, baseManifest: base?.manifest, result: result.snapshot,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(sourceDateEpoch === undefined ? {} : { sourceDateEpoch }),
  });
  const stored = await deliverOutput(engine, snapshotter, output, {
    ...(options.registry === undefined ? {} : { registry: options.registry }),
    image: committed, snapshot: result.snapshot,
    ...(sourceDateEpoch === undefined ? {} : { sourceDateEpoch }),
    ...(options.progress === undefined ? {} : { progress: options.progress }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  if (exporting) warnings.push(...await exportCaches(engine, snapshotter, options.cacheTo ?? [], { solved, head: head?.vertex, cacheMounts: declaredCacheMounts(definition) }, cacheOptions));
  for (const source of sources) warnings.push(...source.warnings);
  return { id: committed.config.digest, manifest: committed.manifest.digest, names: stored, descriptor: committed.manifest, context: context.stats, warnings };
}
