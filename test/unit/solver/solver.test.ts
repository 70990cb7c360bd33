// The solver on a small algebra of string-producing ops: what runs, what comes from the cache,
// how much runs at once, what concurrent solves share and how cancellation and failures end.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { digestBytes } from '../../../src/content/index.js';
import { Solver, type Edge, type ProgressEvent, type Vertex } from '../../../src/solver/index.js';
import { MemoryCache } from '../../helpers/memory-cache.js';

/** What every op of a test did. */
class Ledger {
  readonly runs: string[] = [];
  running = 0;
  maxRunning = 0;
}

interface OpOptions {
  ms?: number;
  fail?: string;
  /** Key the inputs by their content (the result string) rather than by their keys. */
  byContent?: boolean;
  ignoreCache?: boolean;
  /** The result of a source (no inputs), when not its label. */
  produces?: string;
  /** Seen when the op's run is cancelled. */
  onAbort?: () => void;
}

/** A vertex whose result is `label(input results...)`. */
function vertex(ledger: Ledger, label: string, inputs: Vertex<string>[] = [], options: OpOptions = {}): Vertex<string> {
  return {
    digest: digestBytes(`${label}|${inputs.map((input) => input.digest).join(',')}`),
    inputs: inputs.map((input) => ({ vertex: input, index: 0 })),
    name: label,
    ...(options.ignoreCache === true ? { ignoreCache: true } : {}),
    op: {
      outputs: 1,
      cacheMap: async () => ({
        digest: digestBytes(label),
        deps: inputs.map(() => (options.byContent === true ? { contentKey: async (result: string) => digestBytes(result) } : {})),
      }),
      exec: async (results, signal) => {
        ledger.runs.push(label);
        ledger.running++;
        ledger.maxRunning = Math.max(ledger.maxRunning, ledger.running);
        try {
          signal.addEventListener('abort', () => options.onAbort?.(), { once: true });
          await delay(options.ms ?? 1, undefined, { signal });
          if (options.fail !== undefined) throw new Error(options.fail);
          return [results.length === 0 ? (options.produces ?? label) : `${label}(${results.join(',')})`];
        } finally {
          ledger.running--;
        }
      },
    },
  };
}

const head = (v: Vertex<string>): Edge<string> => ({ vertex: v, index: 0 });

describe('the solver', () => {
  it('runs each vertex of a diamond once, then takes all of it from the cache', async () => {
    const ledger = new Ledger();
    const cache = new MemoryCache();
    const base = vertex(ledger, 'base');
    const top = vertex(ledger, 'top', [vertex(ledger, 'left', [base]), vertex(ledger, 'right', [base])]);
    const solver = new Solver(cache, { jobs: 4 });
    assert.equal(await solver.solve(head(top)), 'top(left(base),right(base))');
    assert.deepEqual([...ledger.runs].sort(), ['base', 'left', 'right', 'top']);
    const events: ProgressEvent[] = [];
    assert.equal(await new Solver(cache, { jobs: 4 }).solve(head(top), { progress: (e) => events.push(e) }), 'top(left(base),right(base))');
    assert.equal(ledger.runs.length, 4);
    // Only the head is loaded: what it was built from is never looked up (partial chains), but
    // progress shows every step cached, in dependency order, as BuildKit does.
    assert.deepEqual(events.map((e) => [e.name, e.cached]), [['base', true], ['left', true], ['right', true], ['top', true]]);
  });

  it('runs again only what a changed input reaches', async () => {
    const ledger = new Ledger();
    const cache = new MemoryCache();
    const solver = new Solver(cache, { jobs: 4 });
    const build = (version: string) => vertex(ledger, 'app', [vertex(ledger, `src-${version}`), vertex(ledger, 'deps', [vertex(ledger, 'base')])]);
    await solver.solve(head(build('1')));
    ledger.runs.length = 0;
    assert.equal(await solver.solve(head(build('2'))), 'app(src-2,deps(base))');
    assert.deepEqual(ledger.runs.sort(), ['app', 'src-2']);
  });

  it('hits on equal content from other work when an input is keyed by content', async () => {
    const ledger = new Ledger();
    const solver = new Solver(new MemoryCache(), { jobs: 2 });
    // Two different sources (different digests) whose results are equal.
    const fromA = vertex(ledger, 'copy', [vertex(ledger, 'context-1', [], { produces: 'same files' })], { byContent: true });
    assert.equal(await solver.solve(head(fromA)), 'copy(same files)');
    const fromB = vertex(ledger, 'copy', [vertex(ledger, 'context-2', [], { produces: 'same files' })], { byContent: true });
    assert.notEqual(fromA.digest, fromB.digest);
    ledger.runs.length = 0;
    assert.equal(await solver.solve(head(fromB)), 'copy(same files)');
    // The source ran (its content is needed for the key), the copy did not.
    assert.deepEqual(ledger.runs, ['context-2']);
  });

  it('runs independent vertices side by side, never more than its jobs', async () => {
    for (const jobs of [1, 3]) {
      const ledger = new Ledger();
      const leaves = Array.from({ length: 6 }, (_, n) => vertex(ledger, `leaf${n}`, [], { ms: 20 }));
      await new Solver(new MemoryCache(), { jobs }).solve(head(vertex(ledger, 'all', leaves)));
      assert.equal(ledger.maxRunning, jobs);
      assert.equal(ledger.runs.length, 7);
    }
  });

  it('runs work shared by two concurrent solves once, and reports it to both', async () => {
    const ledger = new Ledger();
    const solver = new Solver(new MemoryCache(), { jobs: 4 });
    const shared = vertex(ledger, 'apt-get update', [vertex(ledger, 'debian')], { ms: 30 });
    const seen: string[][] = [[], []];
    const [one, two] = await Promise.all([
      solver.solve(head(vertex(ledger, 'one', [shared])), { progress: (e) => void (e.completed !== undefined && seen[0]?.push(e.name)) }),
      solver.solve(head(vertex(ledger, 'two', [shared])), { progress: (e) => void (e.completed !== undefined && seen[1]?.push(e.name)) }),
    ]);
    assert.deepEqual([one, two], ['one(apt-get update(debian))', 'two(apt-get update(debian))']);
    assert.equal(ledger.runs.filter((label) => label === 'apt-get update').length, 1);
    for (const names of seen) assert.ok(names.includes('apt-get update'), names.join());
  });

  it('lets a cancelled solve go at once while another still needs the work, and stops work nobody needs', async () => {
    const ledger = new Ledger();
    const solver = new Solver(new MemoryCache(), { jobs: 2 });
    let aborted = 0;
    const slow = vertex(ledger, 'slow', [], { ms: 200, onAbort: () => aborted++ });
    const first = new AbortController();
    const cancelled = solver.solve(head(vertex(ledger, 'a', [slow])), { signal: first.signal });
    const kept = solver.solve(head(vertex(ledger, 'b', [slow])));
    await delay(20);
    first.abort(new Error('Ctrl-C'));
    await assert.rejects(cancelled, /Ctrl-C/);
    assert.equal(await kept, 'b(slow)');
    assert.equal(aborted, 0);

    const alone = new AbortController();
    const lone = solver.solve(head(vertex(ledger, 'c', [vertex(ledger, 'slower', [], { ms: 5_000, onAbort: () => aborted++ })])), { signal: alone.signal });
    await delay(20);
    alone.abort(new Error('client gone'));
    await assert.rejects(lone, /client gone/);
    await delay(10);
    assert.equal(aborted, 1);
  });

  it('runs a --no-cache vertex again, and fails a build with the step that failed', async () => {
    const ledger = new Ledger();
    const cache = new MemoryCache();
    const solver = new Solver(cache, { jobs: 2 });
    await solver.solve(head(vertex(ledger, 'step')));
    await solver.solve(head(vertex(ledger, 'step', [], { ignoreCache: true })));
    assert.deepEqual(ledger.runs, ['step', 'step']);

    const events: ProgressEvent[] = [];
    const failing = vertex(ledger, 'make', [vertex(ledger, 'src')], { fail: 'exit code 2' });
    await assert.rejects(solver.solve(head(vertex(ledger, 'image', [failing])), { progress: (e) => events.push(e) }), /exit code 2/);
    assert.ok(!ledger.runs.includes('image'));
    assert.deepEqual(events.filter((e) => e.error !== undefined).map((e) => [e.name, e.error]), [['make', 'exit code 2']]);
  });
});
