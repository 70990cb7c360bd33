// The solver's side of "why was this step not cached": for a vertex with a step identity, what
// its key was made of (its op's facets, its inputs' keys, the entries its content keys
// selected) is compared with the record of the same step's last build on a miss, and the
// record is replaced once the step has a result under a new key (built, or found in the cache
// under a key the record does not hold). Explaining is advice: a failure to read or write a
// record never fails a build, it only leaves a miss unexplained.
import type { Digest } from '../content/index.js';
import type { KeyInput } from './cache-key.js';
import { explainMiss, noCacheReason, type Explanation, type InputView } from './explain.js';
import type { InputRecord, StepRecord, StepRecords } from './step-records.js';
import type { CacheMap, Vertex } from './types.js';

/** What a vertex's key was computed from, kept by the solver for explaining. */
export interface KeyParts<R> {
  map: CacheMap<R>;
  inputs: KeyInput[];
  /** The results content keys were computed from, by input position. */
  contentInputs: (R | undefined)[];
}

/** A miss being explained: the record this build will leave, and the last build's. */
export interface PendingExplanation {
  current: StepRecord | undefined;
  previous: StepRecord | undefined;
}

export class StepExplainer<R> {
  constructor(private readonly records: StepRecords | undefined) {}

  /** Reads the last record and builds this build's; started while the inputs are solved. */
  async prepare(vertex: Vertex<R>, parts: KeyParts<R> | undefined, keys: readonly Digest[], signal: AbortSignal): Promise<PendingExplanation> {
    const step = vertex.step;
    if (this.records === undefined || step === undefined || parts === undefined || vertex.op.volatile === true) return { current: undefined, previous: undefined };
    try {
      const [previous, current] = await Promise.all([this.records.read(step.id), this.recordOf(vertex, parts, keys, signal)]);
      return { current, previous };
    } catch {
      return { current: undefined, previous: undefined };
    }
  }

  /** Why `vertex` runs; undefined for a vertex nobody can explain (no identity, volatile). */
  explain(vertex: Vertex<R>, pending: PendingExplanation, inputs: readonly InputView[]): Explanation | undefined {
    if (vertex.op.volatile === true) return undefined;
    if (vertex.ignoreCache === true) return { reason: noCacheReason };
    return pending.current === undefined ? undefined : explainMiss(pending.previous, pending.current, inputs);
  }

  /** Keeps what the key of a step that now has a result was made of. */
  async save(record: StepRecord | undefined): Promise<void> {
    if (record === undefined || this.records === undefined) return;
    await this.records.write(record).catch(() => undefined);
  }

  /** A cache hit: the record follows when the step's key is not the one it holds. */
  async noteHit(vertex: Vertex<R>, parts: KeyParts<R> | undefined, keys: readonly Digest[], signal: AbortSignal): Promise<void> {
    const step = vertex.step;
    const key = keys[0];
    if (this.records === undefined || step === undefined || parts === undefined || key === undefined) return;
    if (this.records.holds(step.id, key)) return;
    try {
      const previous = await this.records.read(step.id);
      if (previous?.key !== key) await this.save(await this.recordOf(vertex, parts, keys, signal));
    } catch {
      // Only the next explanation loses by this.
    }
  }

  private async recordOf(vertex: Vertex<R>, parts: KeyParts<R>, keys: readonly Digest[], signal: AbortSignal): Promise<StepRecord> {
    const inputs = await Promise.all(parts.inputs.map(async (input, at): Promise<InputRecord> => {
      const edge = vertex.inputs[at];
      const list = parts.map.deps[at]?.contentEntries;
      const result = parts.contentInputs[at];
      const entries = input.content && list !== undefined && result !== undefined ? await list(result, signal) : undefined;
      return {
        key: input.key, content: input.content,
        ...(edge?.vertex.step === undefined ? {} : { step: edge.vertex.step.id }),
        ...(entries === undefined ? {} : { entries }),
      };
    }));
    return {
      version: 1,
      step: vertex.step?.id ?? '',
      key: keys[0] ?? parts.map.digest,
      op: parts.map.digest,
      facets: [...(vertex.step?.facets ?? []), ...(parts.map.facets ?? [])],
      inputs,
      builtAt: new Date().toISOString(),
    };
  }
}
