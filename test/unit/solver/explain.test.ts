// Why a step was not cached: each reason, produced by real solves of small fake ops whose
// keys are made of named facets, over a persistent step-record store in a temp directory.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digestBytes } from '../../../src/content/index.js';
import {
  Solver, StepRecords, type ContentEntry, type Edge, type KeyFacet, type ProgressEvent, type Vertex,
} from '../../../src/solver/index.js';
import { contentChange } from '../../../src/solver/explain-content.js';
import { tempDir } from '../../helpers/tmp.js';
import { MemoryCache } from '../../helpers/memory-cache.js';

interface StepOptions {
  facets?: KeyFacet[];
  inputs?: Vertex<string>[];
  /** Inputs keyed by content: their results are JSON lists of entries. */
  byContent?: boolean;
  ignoreCache?: boolean;
}

/** A step named `id` whose op digest covers its facets; it produces `id(inputs...)`. */
function step(id: string, options: StepOptions = {}): Vertex<string> {
  const facets = options.facets ?? [];
  const inputs = options.inputs ?? [];
  return {
    digest: digestBytes(JSON.stringify([id, facets, inputs.map((input) => input.digest)])),
    inputs: inputs.map((input) => ({ vertex: input, index: 0 })),
    name: id,
    step: { id },
    ...(options.ignoreCache === true ? { ignoreCache: true } : {}),
    op: {
      outputs: 1,
      cacheMap: async () => ({
        digest: digestBytes(JSON.stringify(facets)),
        facets,
        deps: inputs.map(() => (options.byContent === true
          ? { contentKey: async (result: string) => digestBytes(result), contentEntries: async (result: string) => JSON.parse(result) as ContentEntry[] }
          : {})),
      }),
      exec: async (results) => [results.length === 0 ? id : `${id}(${results.join(',')})`],
    },
  };
}

/** A context-like source whose result lists `files` (path -> content) as entries. */
function files(tree: Record<string, string>): Vertex<string> {
  const entries: ContentEntry[] = Object.entries(tree).map(([path, content]) => ({ path, key: digestBytes(content), type: 'file' }));
  const listing = JSON.stringify([{ path: '', key: digestBytes(JSON.stringify(entries)), type: 'dir' }, ...entries]);
  return {
    digest: digestBytes(`context ${Math.random()}`),
    inputs: [],
    name: 'context',
    op: { outputs: 1, volatile: true, cacheMap: async () => ({ digest: digestBytes('context'), deps: [] }), exec: async () => [listing] },
  };
}

const arg = (name: string, value: string): KeyFacet => ({ name: `ARG ${name}`, value: digestBytes(`${name}=${value}`) });

async function harness(): Promise<{ cache: MemoryCache; run: (top: Vertex<string>) => Promise<Map<string, ProgressEvent>> }> {
  const cache = new MemoryCache(new StepRecords(await tempDir('explain')));
  const solver = new Solver(cache, { jobs: 4 });
  return {
    cache,
    run: async (top) => {
      const started = new Map<string, ProgressEvent>();
      const edge: Edge<string> = { vertex: top, index: 0 };
      await solver.solve(edge, { progress: (e) => void (e.started !== undefined && e.completed === undefined && started.set(e.name, e)) });
      return started;
    },
  };
}

describe('why a step was not cached', () => {
  it('says there was no earlier build, then names a changed ARG without its value', async () => {
    const { run } = await harness();
    const first = await run(step('build', { facets: [{ name: 'the command', value: digestBytes('make') }, arg('VERSION', 's3cret-1')] }));
    assert.equal(first.get('build')?.reason, 'no earlier build of this step');
    const second = await run(step('build', { facets: [{ name: 'the command', value: digestBytes('make') }, arg('VERSION', 's3cret-2')] }));
    assert.equal(second.get('build')?.reason, 'ARG VERSION changed');
    assert.doesNotMatch(JSON.stringify([...second.values()]), /s3cret/);
  });

  it('shows a public value (a base image digest) as old -> new', async () => {
    const { run } = await harness();
    const base = (digest: string): Vertex<string> => step('from', { facets: [{ name: 'base image docker.io/library/busybox:1', value: digest, shown: true }] });
    await run(base('sha256:aaa'));
    const events = await run(base('sha256:bbb'));
    assert.equal(events.get('from')?.reason, 'base image docker.io/library/busybox:1 changed (sha256:aaa -> sha256:bbb)');
  });

  it('points at the previous step when it ran again, and says so when it changed but was cached', async () => {
    const { run } = await harness();
    const chain = (value: string): Vertex<string> => step('run', { inputs: [step('env', { facets: [arg('X', value)] })] });
    await run(chain('1'));
    const second = await run(chain('2'));
    assert.equal(second.get('env')?.reason, 'ARG X changed');
    assert.equal(second.get('run')?.reason, 'the previous step was not cached');
    assert.equal(second.get('run')?.causedBy, second.get('env')?.digest);
    // Back to the first value: the input is cached, but under another key than last time.
    const third = await run(chain('1'));
    assert.equal(third.get('env'), undefined);
    assert.equal(third.get('run'), undefined, 'the run itself is cached too');
  });

  it('names the file that changed, was added or was removed', async () => {
    const { run } = await harness();
    const copy = (tree: Record<string, string>): Vertex<string> => step('copy', { inputs: [files(tree)], byContent: true });
    await run(copy({ 'app/main.go': 'v1', 'README': 'r' }));
    assert.equal((await run(copy({ 'app/main.go': 'v2', 'README': 'r' }))).get('copy')?.reason, 'file app/main.go changed');
    assert.equal((await run(copy({ 'app/main.go': 'v2', 'README': 'r', 'x': '' }))).get('copy')?.reason, 'file x added');
    assert.equal((await run(copy({ 'app/main.go': 'v2', 'x': '' }))).get('copy')?.reason, 'file README removed');
  });

  it('says --no-cache, and that a cache entry was pruned when the key is the same', async () => {
    const { run, cache } = await harness();
    const build = (): Vertex<string> => step('build', { facets: [{ name: 'the command', value: digestBytes('make') }] });
    await run(build());
    assert.equal((await run(step('build', { facets: [{ name: 'the command', value: digestBytes('make') }], ignoreCache: true }))).get('build')?.reason, '--no-cache');
    cache.entries.clear();
    assert.equal((await run(build())).get('build')?.reason, 'the cache entry was pruned');
  });

  it('compares with the last build even when that one came from the cache', async () => {
    const { run } = await harness();
    const build = (command: string): Vertex<string> => step('build', { facets: [{ name: 'the command', value: digestBytes(command) }, arg('V', command)] });
    await run(build('a'));
    await run(build('b'));
    assert.equal((await run(build('a'))).get('build'), undefined, 'a is cached');
    // Against b (the second build) the command and V differ; against a only V does.
    const events = await run(step('build', { facets: [{ name: 'the command', value: digestBytes('a') }, arg('V', 'c')] }));
    assert.equal(events.get('build')?.reason, 'ARG V changed');
  });
});

describe('naming a content change', () => {
  const entry = (path: string, content: string, type: ContentEntry['type'] = 'file'): ContentEntry => ({ path, key: digestBytes(content), type });

  it('says "under" a directory whose children were not listed, and never claims a cut-off path was added', () => {
    assert.equal(contentChange([entry('', '1', 'dir'), entry('src', '1', 'tree')], [entry('', '2', 'dir'), entry('src', '2', 'tree')]), 'files under src changed');
    // `src/b` is new only because the old listing stopped at `src`: the change is under src.
    assert.equal(contentChange([entry('', '1', 'dir'), entry('src', '1', 'tree')], [entry('', '2', 'dir'), entry('src', '2', 'dir'), entry('src/b', 'b')]), 'files under src changed');
  });

  it('names a directory whose own metadata changed, and the context root', () => {
    assert.equal(contentChange([entry('', '1', 'dir'), entry('d', '1', 'dir')], [entry('', '2', 'dir'), entry('d', '2', 'dir')]), 'directory d changed');
    assert.equal(contentChange([entry('', '1', 'tree')], [entry('', '2', 'tree')]), 'files in the build context changed');
  });
});
