// The solver's model, BuildKit's in kiln's words (buildkit.md c.1): a vertex is a unit of work
// with inputs (outputs of other vertices); an op is what does the work; a result is an opaque
// reference to what an output produced (for LLB, a committed snapshot). The solver knows
// nothing about containers, files or registries: ops and results say everything it needs.
import type { Digest } from '../content/index.js';

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
  /** `--no-cache` for this vertex: it runs even when its cache key has a result. */
  ignoreCache?: boolean;
  op: Op<R>;
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
}

export interface CacheMap<R> {
  /** The op's own digest, without cosmetic fields: the base of its cache key. */
  digest: Digest;
  /** One per input, in input order. */
  deps: CacheDep<R>[];
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
  /** Does the work on the inputs' results; one result per output. */
  exec(inputs: R[], signal: AbortSignal): Promise<R[]>;
}

/** Where results of earlier solves are kept, by cache key (one per vertex output). */
export interface CacheManager<R> {
  /** The result saved under `key`, if it is still whole (its data not garbage-collected). */
  load(key: Digest): Promise<R | undefined>;
  save(key: Digest, result: R): Promise<void>;
}
