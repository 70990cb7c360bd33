// The solver's bookkeeping for one vertex while some solve needs it (solver.ts): who is
// attached, what has been computed for it (its cache map, each flavour of keys, its results),
// and the helpers that find and name vertices.
import type { Digest } from '../content/index.js';
import { KilnError } from '../util/errors.js';
import type { ProgressFanout } from './progress.js';
import type { KeyParts } from './step-explainer.js';
import type { CacheMap, CacheSource, Edge, Vertex } from './types.js';
import type { DefinitionKeys } from './vertex-keys.js';

/** One vertex while some solve needs it. */
export interface ActiveVertex<R> {
  attached: number;
  readonly controller: AbortController;
  readonly progress: ProgressFanout;
  /** The imported caches of the solves attached, with how many of them brought each. */
  readonly sources: Map<CacheSource<R>, number>;
  map?: Promise<CacheMap<R>>;
  definition?: Promise<DefinitionKeys<R> | undefined>;
  shallow?: Promise<Digest[] | undefined>;
  keys?: Promise<Digest[]>;
  /** The keys computed so far by flavour (definition, shallow, content), for the key report. */
  readonly computed: (Digest[] | undefined)[];
  results?: Promise<R[]>;
  /** Its results are in (or failed): nothing of it is left to stop. */
  settled: boolean;
  /** Progress has told of it (ran, failed, or cached). */
  reported: boolean;
  /** What its key was computed from, for explaining a miss. */
  parts?: KeyParts<R>;
  /** Its op ran in this solve (it was not cached). */
  ran?: boolean;
}

/** Lists of keys, each once (flavours that came out equal are one). */
export function distinct(lists: Digest[][]): Digest[][] {
  const seen = new Set<string>();
  return lists.filter((keys) => !seen.has(keys.join()) && seen.add(keys.join()) !== undefined);
}

export function activeId<R>(vertex: Vertex<R>): string {
  // A --no-cache vertex is other work than its cached twin: it must not take its result.
  return vertex.ignoreCache === true ? `${vertex.digest}:no-cache` : vertex.digest;
}

/** Every vertex `edge` reaches, each once. */
export function reachable<R>(edge: Edge<R>): Map<string, Vertex<R>> {
  const found = new Map<string, Vertex<R>>();
  const pending = [edge.vertex];
  for (let vertex = pending.pop(); vertex !== undefined; vertex = pending.pop()) {
    const id = activeId(vertex);
    if (found.has(id)) continue;
    found.set(id, vertex);
    for (const input of vertex.inputs) pending.push(input.vertex);
  }
  return found;
}

/**
 * A step's error names its vertex and, when the vertex has one, where it came from (as BuildKit
 * wraps a solve error with the vertex and its source), so the client can show the step, its
 * output and its Dockerfile lines. An error already placed (an input's) stays as it is.
 */
export function atVertex<R>(err: unknown, vertex: Vertex<R>): unknown {
  if (!(err instanceof KilnError) || err.details.vertex !== undefined) return err;
  const details = { ...err.details, vertex: vertex.digest, ...(vertex.source === undefined || err.details.source !== undefined ? {} : { source: vertex.source }) };
  return new KilnError(err.code, err.message, { ...(err.hint === undefined ? {} : { hint: err.hint }), details, cause: err.cause });
}
