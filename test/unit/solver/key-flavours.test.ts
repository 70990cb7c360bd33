// The three flavours of keys (solver/vertex-keys.ts) and imported caches, on a small algebra of
// string-producing ops: a fan-in that copies from stages by content, solved on one "runner",
// its keys exported as a cache source, and solved again on a runner with an empty cache.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digestBytes, type Digest } from '../../../src/content/index.js';
import { Solver, type CacheSource, type Edge, type ProgressEvent, type Vertex } from '../../../src/solver/index.js';
import { MemoryCache } from '../../helpers/memory-cache.js';

/** Another runner's results as an imported cache, counting what was brought over. */
class Imported implements CacheSource<string> {
  readonly loaded: string[] = [];
  constructor(private readonly entries: ReadonlyMap<Digest, string>) {}
  has(key: Digest): boolean {
    return this.entries.has(key);
  }
  async load(key: Digest): Promise<string | undefined> {
    const result = this.entries.get(key);
    if (result !== undefined) this.loaded.push(result);
    return result;
  }
}

interface Step {
  label: string;
  inputs?: Vertex<string>[];
  /** Inputs after the first are copied by content (COPY --from); the first is written over. */
  copies?: boolean;
  /** What a copy selects of a JSON object it copies from (a path of the context). */
  selects?: string;
  /** Makes the op's definition differ without changing what it produces. */
  variant?: string;
  volatile?: boolean;
  produces?: string;
}

function selected(result: string, path: string | undefined): string {
  return path === undefined ? result : String((JSON.parse(result) as Record<string, string>)[path]);
}

function vertex(runs: string[], step: Step): Vertex<string> {
  const inputs = step.inputs ?? [];
  const definition = `${step.label}${step.variant ?? ''}`;
  return {
    digest: digestBytes(`${definition}|${inputs.map((input) => input.digest).join(',')}`),
    inputs: inputs.map((input) => ({ vertex: input, index: 0 })),
    name: step.label,
    op: {
      outputs: 1,
      ...(step.volatile === true ? { volatile: true } : {}),
      cacheMap: async () => ({
        digest: digestBytes(definition),
        deps: inputs.map((_, at) => (step.copies === true && at > 0 ? { contentKey: async (result: string) => digestBytes(selected(result, step.selects)) } : {})),
      }),
      exec: async (results) => {
        runs.push(step.label);
        return [step.produces ?? (results.length === 0 ? step.label : `${step.label}(${results.join(',')})`)];
      },
    },
  };
}

/** base; two stages over it; a final stage copying from both, and a step over that. */
function monorepo(runs: string[], versions: { a?: string; b?: string; aVariant?: string } = {}): Edge<string> {
  const base = vertex(runs, { label: 'base' });
  const context = vertex(runs, { label: 'context', volatile: true, produces: JSON.stringify({ a: `src-a-${versions.a ?? '1'}`, b: `src-b-${versions.b ?? '1'}` }) });
  const stage = (name: 'a' | 'b'): Vertex<string> => {
    const copy = vertex(runs, { label: `copy-${name}`, inputs: [base, context], copies: true, selects: name, produces: `files-${name}-${versions[name] ?? '1'}` });
    return vertex(runs, { label: `build-${name}`, inputs: [copy], ...(name === 'a' && versions.aVariant !== undefined ? { variant: versions.aVariant } : {}), produces: `out-${name}-${versions[name] ?? '1'}` });
  };
  const fromA = vertex(runs, { label: 'copy-from-a', inputs: [base, stage('a')], copies: true });
  const fromB = vertex(runs, { label: 'copy-from-b', inputs: [fromA, stage('b')], copies: true });
  return { vertex: vertex(runs, { label: 'test', inputs: [fromB] }), index: 0 };
}

/** Solves on a fresh runner and returns its cache, what ran, and every key the solve reported. */
async function firstRunner(edge: (runs: string[]) => Edge<string>): Promise<{ cache: MemoryCache; keys: Digest[] }> {
  const cache = new MemoryCache();
  const keys: Digest[] = [];
  await new Solver(cache, { jobs: 4 }).solve(edge([]), { keys: (_vertex, outputs) => keys.push(...outputs.flat()) });
  return { cache, keys };
}

/** The first runner's records for the reported keys, as the export would carry them. */
function exported(first: { cache: MemoryCache; keys: Digest[] }): Map<Digest, string> {
  return new Map(first.keys.flatMap((key) => {
    const result = first.cache.entries.get(key);
    return result === undefined ? [] : [[key, result] as const];
  }));
}

describe('keys by definition, shallow content and content', () => {
  it('finds a fan-in on a cold runner from its definition alone: nothing runs and only the head is brought over', async () => {
    const first = await firstRunner((runs) => monorepo(runs));
    const runs: string[] = [];
    const source = new Imported(exported(first));
    const events: ProgressEvent[] = [];
    const cold = new MemoryCache();
    const result = await new Solver(cold, { jobs: 4 }).solve(monorepo(runs), { sources: [source], progress: (e) => events.push(e) });
    assert.equal(result, 'test(copy-from-b(copy-from-a(base,out-a-1),out-b-1))');
    // The context is read (its content keys the stage copies); no step ran.
    assert.deepEqual(runs, ['context']);
    assert.deepEqual(source.loaded, [result]);
    assert.ok(events.filter((e) => e.name !== 'context').every((e) => e.cached === true));
    // Filed in the cold runner's own cache: its next build needs no source.
    const again: string[] = [];
    assert.equal(await new Solver(cold, { jobs: 4 }).solve(monorepo(again)), result);
    assert.deepEqual(again, ['context']);
  });

  it('after a change to one stage, runs only that stage and what copies from it', async () => {
    const first = await firstRunner((runs) => monorepo(runs));
    const runs: string[] = [];
    const source = new Imported(exported(first));
    const result = await new Solver(new MemoryCache(), { jobs: 4 }).solve(monorepo(runs, { b: '2' }), { sources: [source] });
    assert.equal(result, 'test(copy-from-b(copy-from-a(base,out-a-1),out-b-2))');
    assert.deepEqual(runs.sort(), ['build-b', 'context', 'copy-b', 'copy-from-b', 'test']);
    // copy-from-b writes over copy-from-a's result, which is brought over. Stage a is brought
    // over too, never built: copy-from-b's new result is filed under its content key as well,
    // which takes the content of what copy-from-a copied.
    assert.deepEqual(source.loaded.sort(), ['base', 'copy-from-a(base,out-a-1)', 'out-a-1']);
  });

  it('keeps the cut-off: a stage rebuilt to the same files leaves the steps after it cached', async () => {
    const cache = new MemoryCache();
    await new Solver(cache, { jobs: 4 }).solve(monorepo([]));
    const runs: string[] = [];
    await new Solver(cache, { jobs: 4 }).solve(monorepo(runs, { aVariant: '-with-a-comment' }));
    assert.deepEqual(runs.sort(), ['build-a', 'context']);
  });

  it('reports every flavour computed once per output', async () => {
    const reported = new Map<string, Digest[]>();
    await new Solver(new MemoryCache(), { jobs: 4 }).solve(monorepo([]), { keys: (vertex, outputs) => reported.set(vertex.name, outputs[0] ?? []) });
    // Steps with no stage copied from below them have one key. copy-from-a's shallow key is its
    // content key (base below it is keyed alike either way); copy-from-b, over copy-from-a, has
    // all three; the step over it two (definition, content).
    assert.equal(reported.get('build-a')?.length, 1);
    assert.equal(reported.get('copy-from-a')?.length, 2);
    assert.equal(reported.get('copy-from-b')?.length, 3);
    assert.equal(reported.get('test')?.length, 2);
    for (const keys of reported.values()) assert.equal(new Set(keys).size, keys.length);
  });
});
