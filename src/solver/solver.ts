// The solver (buildkit.md c.3-c.5): evaluates the vertex graph of a build, from its head edge
// down to what it needs. For each vertex it computes the cache keys of its outputs from its
// op's cache map and its inputs' keys (or the content keys of what they select, which needs
// the input's result), in three flavours looked up cheapest first (vertex-keys.ts), in this
// store's cache and then in the caches a build imported; a vertex whose every output has a
// cached result is loaded, and nothing below it is built (partial chains). Otherwise its
// inputs are solved, side by side, and its op runs in one of `jobs` slots; its results are
// saved under every flavour of its keys.
//
// Concurrent solves share one graph of active vertices, keyed by vertex digest: identical
// work in two builds runs once and reports to both. A solve attaches to every vertex it can
// reach; shared work is cancelled only when every solve that needed it has gone, while a
// cancelled solve itself returns at once.
import type { Digest } from '../content/index.js';
import { abandonOnAbort } from '../util/abort.js';
import { KilnError } from '../util/errors.js';
import { activeId, atVertex, distinct, reachable, type ActiveVertex } from './active-vertex.js';
import { ProgressFanout, vertexProgress, type ProgressSink } from './progress.js';
import { Semaphore } from './semaphore.js';
import { StepExplainer } from './step-explainer.js';
import type { CacheManager, CacheSource, Edge, Vertex } from './types.js';
import { BuildPlanner, type PlannedStep } from './plan.js';
import { contentKeys, definitionKeys, shallowKeys, type KeyWalk } from './vertex-keys.js';

export interface SolverOptions {
  /** Ops run at once at most. */
  jobs: number;
}

export interface SolveOptions<R = unknown> {
  signal?: AbortSignal;
  progress?: ProgressSink;
  /** Imported caches, looked up after the local one. */
  sources?: readonly CacheSource<R>[];
  /**
   * Told, once the solve has its result, of every vertex it reached and the keys computed for
   * it, per output, each flavour once and the cheapest first: what a cache export files.
   */
  keys?: (vertex: Vertex<R>, keys: Digest[][]) => void;
}

export class Solver<R> {
  private readonly active = new Map<string, ActiveVertex<R>>();
  /**
   * Work under way by its outputs' cache keys: two vertices that differ (each build's context
   * is a vertex of its own) but come to the same keys are one piece of work, done once
   * (BuildKit merges such edges).
   */
  private readonly executing = new Map<string, Promise<R[]>>();
  private readonly slots: Semaphore;
  private readonly explainer: StepExplainer<R>;

  constructor(private readonly cache: CacheManager<R>, options: SolverOptions) {
    this.slots = new Semaphore(options.jobs);
    this.explainer = new StepExplainer(cache.steps);
  }

  /** The result of `edge`, from the cache or built. */
  async solve(edge: Edge<R>, options: SolveOptions<R> = {}): Promise<R> {
    const signal = options.signal ?? new AbortController().signal;
    signal.throwIfAborted();
    const reached = reachable(edge);
    const ids = [...reached.keys()];
    for (const id of ids) this.attach(id, options);
    try {
      const results = await abandonOnAbort(this.resultsOf(edge.vertex), signal);
      if (options.keys !== undefined) for (const [id, vertex] of reached) options.keys(vertex, this.keyReport(vertex, this.get(id)));
      return this.output(results, edge);
    } finally {
      for (const id of ids) this.detach(id, options);
    }
  }

  /** What a solve of `edge` would do, running nothing (`kiln build --dry-run`). */
  plan(edge: Edge<R>, sources: readonly CacheSource<R>[] = []): Promise<PlannedStep[]> {
    return new BuildPlanner(this.cache, this.explainer, sources).plan(edge);
  }

  private attach(id: string, options: SolveOptions<R>): void {
    let active = this.active.get(id);
    if (active === undefined) {
      active = { attached: 0, controller: new AbortController(), progress: new ProgressFanout(), sources: new Map(), computed: [], settled: false, reported: false };
      this.active.set(id, active);
    }
    active.attached++;
    active.progress.add(options.progress);
    for (const source of options.sources ?? []) active.sources.set(source, (active.sources.get(source) ?? 0) + 1);
  }

  private detach(id: string, options: SolveOptions<R>): void {
    const active = this.get(id);
    active.progress.delete(options.progress);
    for (const source of options.sources ?? []) {
      const left = (active.sources.get(source) ?? 1) - 1;
      if (left > 0) active.sources.set(source, left);
      else active.sources.delete(source);
    }
    if (--active.attached > 0) return;
    // Nobody needs it any more: unfinished work stops, and a later solve starts afresh (its
    // results come through the cache, which knows whether they are still whole).
    if (!active.settled) active.controller.abort(new KilnError('CANCELED', 'every build that needed this step was cancelled'));
    this.active.delete(id);
  }

  private get(id: string): ActiveVertex<R> {
    const active = this.active.get(id);
    if (active === undefined) throw new KilnError('INTERNAL', `vertex ${id} is not part of an active solve`);
    return active;
  }

  private output(results: R[], edge: Edge<R>): R {
    const result = results[edge.index];
    if (result === undefined) throw new KilnError('INTERNAL', `${edge.vertex.name}: no output ${edge.index}`);
    return result;
  }

  /** The keys computed for `vertex`, per output, each flavour once. */
  private keyReport(vertex: Vertex<R>, active: ActiveVertex<R>): Digest[][] {
    const lists = active.computed.filter((keys) => keys !== undefined);
    return Array.from({ length: vertex.op.outputs }, (_, output) => [...new Set(lists.map((keys) => keys[output] as Digest))]);
  }

  /** The key computations' view of this solver: each answer memoised on the active vertex. */
  private readonly walk: KeyWalk<R> = {
    cacheMap: (vertex) => {
      const active = this.get(activeId(vertex));
      active.map ??= vertex.op.cacheMap(active.controller.signal);
      return active.map;
    },
    definitionKeys: (vertex) => {
      const active = this.get(activeId(vertex));
      active.definition ??= definitionKeys(this.walk, vertex, active.controller.signal).then((found) => {
        active.computed[0] = found?.keys;
        // Exact definition keys are the content keys: nothing more to compute.
        if (found?.exact === true && active.keys === undefined) {
          active.keys = Promise.resolve(found.keys);
          active.parts = found.parts;
        }
        return found;
      });
      return active.definition;
    },
    contentKeys: (vertex) => this.keysOf(vertex),
    output: async (edge) => this.output(await this.resultsOf(edge.vertex), edge),
  };

  private shallowKeysOf(vertex: Vertex<R>): Promise<Digest[] | undefined> {
    const active = this.get(activeId(vertex));
    active.shallow ??= this.computed(active, 1, shallowKeys(this.walk, vertex, active.controller.signal));
    return active.shallow;
  }

  private keysOf(vertex: Vertex<R>): Promise<Digest[]> {
    const active = this.get(activeId(vertex));
    active.keys ??= this.computed(active, 2, contentKeys(this.walk, vertex, active.controller.signal).then(({ keys, parts }) => {
      active.parts = parts;
      return keys;
    }));
    return active.keys;
  }

  /** Notes keys in the vertex's report as they come. */
  private async computed<K extends Digest[] | undefined>(active: ActiveVertex<R>, flavour: number, keys: Promise<K>): Promise<K> {
    const done = await keys;
    active.computed[flavour] = done;
    return done;
  }

  private resultsOf(vertex: Vertex<R>): Promise<R[]> {
    const active = this.get(activeId(vertex));
    active.results ??= this.computeResults(vertex, active).finally(() => {
      active.settled = true;
    });
    return active.results;
  }

  /** Results under `keys`: every output from the local cache, or every one from one imported cache (then filed locally). */
  private async load(keys: Digest[], active: ActiveVertex<R>): Promise<R[] | undefined> {
    const local = await Promise.all(keys.map((key) => this.cache.load(key)));
    if (local.every((result) => result !== undefined)) return local as R[];
    for (const source of active.sources.keys()) {
      if (!keys.every((key) => source.has(key))) continue;
      const imported = await Promise.all(keys.map((key) => source.load(key, active.controller.signal)));
      if (!imported.every((result) => result !== undefined)) continue;
      await this.file(keys, imported as R[]);
      return imported as R[];
    }
    return undefined;
  }

  private async file(keys: Digest[], results: R[]): Promise<void> {
    await Promise.all(results.map((result, at) => this.cache.save(keys[at] as Digest, result)));
  }

  /**
   * A cached result by the cheapest flavour of keys that has one (vertex-keys.ts); it is then
   * filed under the flavours that missed too, so the next lookup hits at once.
   */
  private async lookup(vertex: Vertex<R>, active: ActiveVertex<R>): Promise<R[] | undefined> {
    const missed: Digest[][] = [];
    const flavours = [async () => (await this.walk.definitionKeys(vertex))?.keys, () => this.shallowKeysOf(vertex), () => this.keysOf(vertex)];
    for (const flavour of flavours) {
      const keys = await flavour();
      if (keys === undefined || missed.some((tried) => tried[0] === keys[0])) continue;
      const found = await this.load(keys, active);
      if (found === undefined) {
        missed.push(keys);
        continue;
      }
      for (const tried of missed) await this.file(tried, found);
      this.reportCached(vertex);
      // The step's record follows content keys; a hit by other keys leaves it as it is.
      if (keys === (await active.keys)) await this.explainer.noteHit(vertex, active.parts, keys, active.controller.signal);
      return found;
    }
    return undefined;
  }

  /**
   * Tells progress that `vertex` came from the cache, and so did every step below it that
   * nothing else asked for (they are never loaded: their results are in the cached one), in
   * dependency order, as BuildKit shows a cached build: every step CACHED.
   */
  private reportCached(vertex: Vertex<R>): void {
    for (const input of vertex.inputs) {
      const below = this.get(activeId(input.vertex));
      if (below.results === undefined && !below.reported) this.reportCached(input.vertex);
    }
    const active = this.get(activeId(vertex));
    if (active.reported) return;
    active.reported = true;
    const now = Date.now();
    active.progress.emit({ type: 'vertex', digest: vertex.digest, name: vertex.name, started: now, completed: now, cached: true });
  }

  private async computeResults(vertex: Vertex<R>, active: ActiveVertex<R>): Promise<R[]> {
    const { signal } = active.controller;
    const cacheable = vertex.ignoreCache !== true && vertex.op.volatile !== true;
    if (cacheable) {
      const cached = await this.lookup(vertex, active);
      if (cached !== undefined) return cached;
    }
    const keys = await this.keysOf(vertex);
    const id = keys.join(',');
    const same = cacheable ? this.executing.get(id) : undefined;
    if (same !== undefined) {
      // The other's failure or cancellation is not this build's: it then does the work itself.
      const merged = await abandonOnAbort(same, signal).catch(() => undefined);
      if (merged !== undefined) {
        this.reportCached(vertex);
        return merged;
      }
    }
    const work = this.execute(vertex, active, keys);
    if (cacheable && !this.executing.has(id)) {
      this.executing.set(id, work);
      const done = (): void => {
        if (this.executing.get(id) === work) this.executing.delete(id);
      };
      work.then(done, done);
    }
    return work;
  }

  private async execute(vertex: Vertex<R>, active: ActiveVertex<R>, keys: Digest[]): Promise<R[]> {
    const { signal } = active.controller;
    const pending = this.explainer.prepare(vertex, active.parts, keys, signal);
    const inputs = await Promise.all(vertex.inputs.map(async (edge) => this.output(await this.resultsOf(edge.vertex), edge)));
    const why = this.explainer.explain(vertex, await pending, vertex.inputs.map(({ vertex: input }) => ({
      digest: input.digest, name: input.name, ran: this.active.get(activeId(input))?.ran === true,
    })));
    const reason = why === undefined ? {} : { reason: why.reason, ...(why.causedBy === undefined ? {} : { causedBy: why.causedBy }) };
    return this.slots.run(async () => {
      const started = Date.now();
      active.reported = true;
      active.ran = true;
      active.progress.emit({ type: 'vertex', digest: vertex.digest, name: vertex.name, started, ...reason });
      try {
        const results = await vertex.op.exec(inputs, signal, vertexProgress(active.progress, vertex.digest, vertex.name));
        if (results.length !== vertex.op.outputs) {
          throw new KilnError('INTERNAL', `${vertex.name}: the op gave ${results.length} results for ${vertex.op.outputs} outputs`);
        }
        // Filed under every flavour of key computed for it (the content keys among them).
        if (vertex.op.volatile !== true) for (const filed of distinct([keys, ...active.computed.filter((list) => list !== undefined)])) await this.file(filed, results);
        await this.explainer.save((await pending).current);
        active.progress.emit({ type: 'vertex', digest: vertex.digest, name: vertex.name, started, completed: Date.now(), ...reason });
        return results;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        active.progress.emit({ type: 'vertex', digest: vertex.digest, name: vertex.name, started, completed: Date.now(), error: message, ...reason });
        throw atVertex(err, vertex);
      }
    }, signal);
  }
}
