// The keys a vertex's results are filed under, in three flavours that differ only in how an
// input that is keyed by its content (a COPY --from's stage) enters the key:
//
// - definition: by the input's own definition key, as if it were not content-keyed. Found
//   without building or loading anything but the build context (read in place, it is hashed
//   where it lies): a cold runner with an imported cache finds a final stage by it without
//   downloading the stages it copies from (BuildKit's fast keys).
// - shallow: the vertex's own content-keyed inputs by their content, everything below by
//   definition. It needs only those inputs' results: after a one-file change in one stage, the
//   fan-in COPY of that stage is looked up without loading the other stages.
// - content: every content-keyed input by content, all the way down (the key the solver always
//   had). A stage rebuilt to the same files leaves its users' keys unchanged: the cut-off.
//
// A result is saved under every flavour computed for it; a lookup tries the cheapest first.
// Flavours that come out equal (no content-keyed input below) are one key.
import type { Digest } from '../content/index.js';
import { KilnError } from '../util/errors.js';
import { cacheKey, type KeyInput } from './cache-key.js';
import type { KeyParts } from './step-explainer.js';
import type { CacheDep, CacheMap, Edge, Vertex } from './types.js';

/** What the key computations ask of the solver; each answer is computed once per vertex. */
export interface KeyWalk<R> {
  cacheMap(vertex: Vertex<R>): Promise<CacheMap<R>>;
  definitionKeys(vertex: Vertex<R>): Promise<DefinitionKeys<R> | undefined>;
  contentKeys(vertex: Vertex<R>): Promise<Digest[]>;
  /** The input's result, from the cache or built. */
  output(edge: Edge<R>): Promise<R>;
}

export interface DefinitionKeys<R> {
  keys: Digest[];
  /** What they were made of. */
  parts: KeyParts<R>;
  /** No input at any depth is content-keyed and built: these are the content keys too. */
  exact: boolean;
}

function keysOf<R>(vertex: Vertex<R>, map: CacheMap<R>, inputs: readonly KeyInput[]): Digest[] {
  return Array.from({ length: vertex.op.outputs }, (_, index) => cacheKey(map.digest, index, inputs));
}

function selectorOf<R>(dep: CacheDep<R>): { selector?: Digest } {
  return dep.selector === undefined ? {} : { selector: dep.selector };
}

/** Whether the flavours can differ at all: a content-keyed input that is built, not read in place. */
function contentKeyedBuilt<R>(vertex: Vertex<R>, map: CacheMap<R>, at: number): boolean {
  return map.deps[at]?.contentKey !== undefined && vertex.inputs[at]?.vertex.op.volatile !== true;
}

/** Whether the vertex's keys are worth more than one solve (they are ever looked up). */
function cacheable<R>(vertex: Vertex<R>): boolean {
  return vertex.ignoreCache !== true && vertex.op.volatile !== true;
}

async function byContent<R>(walk: KeyWalk<R>, edge: Edge<R>, dep: CacheDep<R>, signal: AbortSignal): Promise<{ input: KeyInput; result: R }> {
  const result = await walk.output(edge);
  const contentKey = dep.contentKey as NonNullable<CacheDep<R>['contentKey']>;
  return { input: { key: await contentKey(result, signal), content: true, ...selectorOf(dep) }, result };
}

async function byDefinition<R>(walk: KeyWalk<R>, edge: Edge<R>, dep: CacheDep<R>): Promise<{ input: KeyInput; exact: boolean } | undefined> {
  const found = await walk.definitionKeys(edge.vertex);
  const key = found?.keys[edge.index];
  if (found === undefined || key === undefined) return undefined;
  return { input: { key, content: false, ...selectorOf(dep) }, exact: found.exact && dep.contentKey === undefined };
}

/**
 * The definition keys; undefined for a vertex whose keys are never looked up (volatile,
 * --no-cache) and for one above such a vertex: a step rebuilt on purpose must not be passed
 * over by its users' definition keys.
 */
export async function definitionKeys<R>(walk: KeyWalk<R>, vertex: Vertex<R>, signal: AbortSignal): Promise<DefinitionKeys<R> | undefined> {
  if (!cacheable(vertex)) return undefined;
  const map = await walk.cacheMap(vertex);
  const contentInputs: (R | undefined)[] = [];
  const inputs = await Promise.all(vertex.inputs.map(async (edge, at) => {
    const dep = map.deps[at] ?? {};
    if (dep.contentKey === undefined || edge.vertex.op.volatile !== true) return byDefinition(walk, edge, dep);
    const { input, result } = await byContent(walk, edge, dep, signal);
    contentInputs[at] = result;
    return { input, exact: true };
  }));
  if (!inputs.every((input) => input !== undefined)) return undefined;
  const keyInputs = inputs.map(({ input }) => input);
  return { keys: keysOf(vertex, map, keyInputs), parts: { map, inputs: keyInputs, contentInputs }, exact: inputs.every(({ exact }) => exact) };
}

/** The shallow keys; undefined where they would equal the definition keys, or cannot be had. */
export async function shallowKeys<R>(walk: KeyWalk<R>, vertex: Vertex<R>, signal: AbortSignal): Promise<Digest[] | undefined> {
  if (!cacheable(vertex)) return undefined;
  const map = await walk.cacheMap(vertex);
  if (!vertex.inputs.some((_, at) => contentKeyedBuilt(vertex, map, at))) return undefined;
  const inputs = await Promise.all(vertex.inputs.map(async (edge, at) => {
    const dep = map.deps[at] ?? {};
    return dep.contentKey === undefined ? (await byDefinition(walk, edge, dep))?.input : (await byContent(walk, edge, dep, signal)).input;
  }));
  return inputs.every((input) => input !== undefined) ? keysOf(vertex, map, inputs as KeyInput[]) : undefined;
}

/** The content keys, with what they were made of (for explaining a miss). */
export async function contentKeys<R>(walk: KeyWalk<R>, vertex: Vertex<R>, signal: AbortSignal): Promise<{ keys: Digest[]; parts: KeyParts<R> }> {
  const map = await walk.cacheMap(vertex);
  const contentInputs: (R | undefined)[] = [];
  const inputs = await Promise.all(vertex.inputs.map(async (edge, at): Promise<KeyInput> => {
    const dep = map.deps[at] ?? {};
    if (dep.contentKey !== undefined) {
      const { input, result } = await byContent(walk, edge, dep, signal);
      contentInputs[at] = result;
      return input;
    }
    const key = (await walk.contentKeys(edge.vertex))[edge.index];
    if (key === undefined) throw new KilnError('INTERNAL', `${edge.vertex.name}: no output ${edge.index}`);
    return { key, content: false, ...selectorOf(dep) };
  }));
  return { keys: keysOf(vertex, map, inputs), parts: { map, inputs, contentInputs } };
}
