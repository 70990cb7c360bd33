// The solver's model, BuildKit's in kiln's words (buildkit.md c.1): a vertex is a unit of work
// with inputs (outputs of other vertices); an op is what does the work; a result is an opaque
// reference to what an output produced (for LLB, a committed snapshot). The solver knows
// nothing about containers, files or registries: ops and results say everything it needs.
import type { Digest } from '../content/index.js';
import type { StepRecords } from './step-records.js';
import type { SourceLocation } from '../util/errors.js';
import type { VertexProgress } from './progress.js';

/** One output of a vertex: what a vertex's input names. */
export interface Edge<R> {
  vertex: Vertex<R>;
  index: number;
}

export interface Vertex<R> {
  /** Identity at run time: equal digests are the same work (BuildKit's vertex digest). */
  digest: Digest;
  inputs: Edge<R>[];
  /** Shown in progress (`[stage 2/4] RUN make`). */
  name: string;
  /** Where the vertex was written (a Dockerfile instruction): a failing step's error points there. */
  source?: SourceLocation;
  /** `--no-cache` for this vertex: it runs even when its cache key has a result. */
  ignoreCache?: boolean;
  /**
   * The step's identity across builds (the Dockerfile step it comes from), which survives its
   * key changing: what a miss is explained against. Vertices without one are not explained.
   */
  step?: StepIdentity;
  /**
   * Which layer of the built image this vertex makes, when it makes one (the chain from the
   * head down its root inputs): the output that is the layer, and how far below the head it is
   * (the head 0). A cache export files the image's records by it (mode=min). The solver itself
   * ignores it.
   */
  imageLayer?: { output: number; depth: number };
  op: Op<R>;
}

export interface StepIdentity {
  /** Stable across builds; the explanation record is filed under it. */
  id: string;
  /** Facets that come from the frontend rather than the op (the instruction's keyword). */
  facets?: KeyFacet[];
}

/**
 * A named part of what an op's key is made of, for saying why a step was not cached: the
 * name is in user words (`ARG VERSION`, `the command`) and reads `<name> changed`. `value` is
 * a digest unless `shown`, when it is public (an image digest) and printed as `(old -> new)`.
 */
export interface KeyFacet {
  name: string;
  value: string;
  shown?: boolean;
}

/**
 * One entry of what a content-keyed input selected: a path with its content key. `dir` is a
 * directory whose children are listed too; `tree` one whose children were left out (the list
 * is bounded), so a change below it is only known to be somewhere under it.
 */
export interface ContentEntry {
  path: string;
  key: Digest;
  type: 'file' | 'dir' | 'tree' | 'other';
}

/** How one input takes part in its user's cache key. */
export interface CacheDep<R> {
  /** Mixed into the input's key: "only these paths of the input matter". */
  selector?: Digest;
  /**
   * A key from the input's *result* (the content of the files a COPY selects): when given,
   * it replaces the input's own key, so equal content hits whatever produced it.
   */
  contentKey?: (input: R, signal: AbortSignal) => Promise<Digest>;
  /** The selected paths with their keys (bounded), to name the file that changed. */
  contentEntries?: (input: R, signal: AbortSignal) => Promise<ContentEntry[]>;
}

export interface CacheMap<R> {
  /** The op's own digest, without cosmetic fields: the base of its cache key. */
  digest: Digest;
  /** One per input, in input order. */
  deps: CacheDep<R>[];
  /** What `digest` is made of, part by part, in the order a difference is looked for. */
  facets?: KeyFacet[];
}

export interface Op<R> {
  /** Number of outputs (an exec op has one per writable mount). */
  outputs: number;
  /**
   * Its results are neither looked up in nor saved to the cache: they live for one solve
   * (the build context, read in place, is a new one each build).
   */
  volatile?: boolean;
  cacheMap(signal: AbortSignal): Promise<CacheMap<R>>;
  /** Does the work on the inputs' results; one result per output. `progress` takes its output. */
  exec(inputs: R[], signal: AbortSignal, progress: VertexProgress): Promise<R[]>;
}

/**
 * Results another store made, found by the same keys (an imported cache): a hit is brought
 * into this store (downloaded, unpacked lazily) and then filed in its own cache.
 */
export interface CacheSource<R> {
  /** Whether a result is known under `key`: cheap, nothing is fetched. */
  has(key: Digest): boolean;
  load(key: Digest, signal: AbortSignal): Promise<R | undefined>;
}

/** Where results of earlier solves are kept, by cache key (one per vertex output). */
export interface CacheManager<R> {
  /** The result saved under `key`, if it is still whole (its data not garbage-collected). */
  load(key: Digest): Promise<R | undefined>;
  save(key: Digest, result: R): Promise<void>;
  /** Where what each step's key was made of is kept; without it misses are not explained. */
  readonly steps?: StepRecords;
}
