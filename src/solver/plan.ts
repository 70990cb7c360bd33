// A build's plan without running it (`kiln build --dry-run`): for each step, whether it would
// come from the cache (this store's, or an imported one) or run, and why it would run. The keys
// are computed as a solve computes them (vertex-keys.ts), but an input's result is only ever
// taken from where it already is: the build context (read in place) or this store's cache.
// A step whose key needs the result of a step that would run is planned to run because of it,
// as the solve would find it: that input's files cannot be known before it runs.
//
// No step runs, no cached result is fetched from an imported cache, no snapshot is committed: the
// plan reads cache records, step records, the context, and what a step's key needs (a stage's
// files already in the store, a base image, which the build resolves before any plan).
import type { Digest } from '../content/index.js';
import { KilnError } from '../util/errors.js';
import { explainMiss, noCacheReason, type InputView } from './explain.js';
import type { StepExplainer } from './step-explainer.js';
import type { CacheManager, CacheMap, CacheSource, Edge, Vertex } from './types.js';
import { contentKeys, definitionKeys, shallowKeys, type DefinitionKeys, type KeyWalk } from './vertex-keys.js';

export interface PlannedStep {
  digest: Digest;
  name: string;
  /** `cached`: in this store; `imported`: in a cache given with --cache-from; `run`: it would run. */
  status: 'cached' | 'imported' | 'run';
  /** Why it would run, in the words a build's progress uses. */
  reason?: string;
  /** The step whose running makes this one run. */
  causedBy?: Digest;
}

/** Thrown inside a key computation that needs the result of a step that would run. */
class WouldRun extends Error {
  constructor(readonly vertex: Vertex<unknown>) {
    super(`${vertex.name} would run`);
  }
}

interface Found {
  status: PlannedStep['status'];
  reason?: string;
  causedBy?: Digest;
}

export class BuildPlanner<R> {
  private readonly maps = new Map<Vertex<R>, Promise<CacheMap<R>>>();
  private readonly definitions = new Map<Vertex<R>, Promise<DefinitionKeys<R> | undefined>>();
  private readonly contents = new Map<Vertex<R>, Promise<Digest[]>>();
  private readonly statuses = new Map<Vertex<R>, Promise<Found>>();
  private readonly outputs = new Map<Vertex<R>, Promise<R[]>>();
  private readonly signal = new AbortController().signal;

  constructor(
    private readonly cache: CacheManager<R>,
    private readonly explainer: StepExplainer<R>,
    private readonly sources: readonly CacheSource<R>[],
  ) {}

  /** The plan of `edge`: every step it reaches, inputs before their users, each once. */
  async plan(edge: Edge<R>): Promise<PlannedStep[]> {
    const steps: PlannedStep[] = [];
    const seen = new Set<Vertex<R>>();
    const visit = async (vertex: Vertex<R>, needed: boolean): Promise<void> => {
      if (seen.has(vertex)) return;
      seen.add(vertex);
      const found: Found = vertex.op.volatile === true ? { status: 'cached' } : needed ? await this.statusOf(vertex) : { status: 'cached' };
      // Below a step that is found, nothing is needed: it is never loaded (partial chains).
      for (const input of vertex.inputs) await visit(input.vertex, needed && found.status === 'run');
      if (vertex.op.volatile !== true) steps.push({ digest: vertex.digest, name: vertex.name, ...found });
    };
    await visit(edge.vertex, true);
    return steps;
  }

  private readonly walk: KeyWalk<R> = {
    cacheMap: (vertex) => memo(this.maps, vertex, () => vertex.op.cacheMap(this.signal)),
    definitionKeys: (vertex) => memo(this.definitions, vertex, () => definitionKeys(this.walk, vertex, this.signal)),
    contentKeys: (vertex) => memo(this.contents, vertex, async () => (await contentKeys(this.walk, vertex, this.signal)).keys),
    output: async (edge) => {
      const result = (await memo(this.outputs, edge.vertex, () => this.available(edge.vertex)))[edge.index];
      if (result === undefined) throw new KilnError('INTERNAL', `${edge.vertex.name}: no output ${edge.index}`);
      return result;
    },
  };

  /** A result that needs no step to run: the context's, or one in this store's cache. */
  private async available(vertex: Vertex<R>): Promise<R[]> {
    if (vertex.op.volatile === true) return vertex.op.exec([], this.signal, { digest: vertex.digest, log: () => undefined });
    const found = await this.statusOf(vertex);
    if (found.status === 'run' || found.status === 'imported') throw new WouldRun(vertex as Vertex<unknown>);
    for (const keys of await this.keyFlavours(vertex)) {
      const results = await Promise.all(keys.map((key) => this.cache.load(key)));
      if (results.every((result) => result !== undefined)) return results as R[];
    }
    throw new WouldRun(vertex as Vertex<unknown>);
  }

  private statusOf(vertex: Vertex<R>): Promise<Found> {
    return memo(this.statuses, vertex, () => this.findStatus(vertex));
  }

  /** The flavours of keys that can be had without running anything, cheapest first. */
  private async keyFlavours(vertex: Vertex<R>): Promise<Digest[][]> {
    const flavours: Digest[][] = [];
    for (const flavour of [async () => (await this.walk.definitionKeys(vertex))?.keys, () => shallowKeys(this.walk, vertex, this.signal), () => this.walk.contentKeys(vertex)]) {
      try {
        const keys = await flavour();
        if (keys !== undefined && !flavours.some((known) => known[0] === keys[0])) flavours.push(keys);
      } catch (err) {
        if (!(err instanceof WouldRun)) throw err;
      }
    }
    return flavours;
  }

  private async findStatus(vertex: Vertex<R>): Promise<Found> {
    if (vertex.ignoreCache === true) return { status: 'run', reason: noCacheReason };
    for (const keys of await this.keyFlavours(vertex)) {
      const local = await Promise.all(keys.map((key) => this.cache.load(key)));
      if (local.every((result) => result !== undefined)) return { status: 'cached' };
      if (this.sources.some((source) => keys.every((key) => source.has(key)))) return { status: 'imported' };
    }
    return this.whyItRuns(vertex);
  }

  /** A step that would run: its first input that would run, or what changed since its last build. */
  private async whyItRuns(vertex: Vertex<R>): Promise<Found> {
    const views: InputView[] = [];
    for (const input of vertex.inputs) {
      const ran = input.vertex.op.volatile !== true && (await this.statusOf(input.vertex)).status === 'run';
      views.push({ digest: input.vertex.digest, name: input.vertex.name, ran });
    }
    let content: Awaited<ReturnType<typeof contentKeys<R>>>;
    try {
      content = await contentKeys(this.walk, vertex, this.signal);
    } catch (err) {
      if (!(err instanceof WouldRun)) throw err;
      return { status: 'run', reason: `${err.vertex.name} would run`, causedBy: err.vertex.digest };
    }
    const pending = await this.explainer.prepare(vertex, content.parts, content.keys, this.signal);
    const why = pending.current === undefined ? undefined : explainMiss(pending.previous, pending.current, views);
    // A build says an input "was not cached" once it ran; in a plan it has not run yet.
    const reason = why?.reason.replace(/ was not cached$/, ' would run');
    return { status: 'run', ...(reason === undefined ? {} : { reason }), ...(why?.causedBy === undefined ? {} : { causedBy: why.causedBy }) };
  }
}

function memo<K, V>(map: Map<K, Promise<V>>, key: K, compute: () => Promise<V>): Promise<V> {
  let value = map.get(key);
  if (value === undefined) {
    value = compute();
    map.set(key, value);
  }
  return value;
}
