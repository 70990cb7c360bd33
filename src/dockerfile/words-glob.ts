// Shell patterns of `${name#pattern}`, `${name%pattern}` and `${name/pattern/replacement}`.
//
// BuildKit turns the pattern into a Go regexp (`*` → `.*`, or `.*?` for the shortest forms;
// `?` → `.`; `\*` `\?` `\\` literal; `\}` and `\/` drop the backslash; any other `\x` is an
// error) and takes Go's leftmost-first match. Two consequences are kept here on purpose:
// `*` and `?` never match a newline (Go's `.` without the s flag), and among the matches that
// start leftmost the one a backtracking matcher would find first wins.
//
// Instead of a RegExp, which backtracks and can take exponential time on `*a*a*a...b`, the
// pattern is run by a Pike VM: all threads advance together in priority order, which yields the
// same leftmost-first match in O(value × pattern) time, the bound Go's own regexp gives.
import { ExpansionError } from './words-error.js';
import { Ch, chr, EOF, Scanner } from './words-scanner.js';

/** Pattern steps: a code point to match literally, or one of these. */
const STAR = -1;
const ANY = -2;

/** Compiles a pattern the way BuildKit's convertShellPatternToRegex reads it. */
export function compileGlob(pattern: string, greedy: boolean, at: number): Glob {
  return new Glob(Int32Array.from(scanPattern(pattern, at)), greedy);
}

function scanPattern(pattern: string, at: number): number[] {
  const steps: number[] = [];
  const scanner = new Scanner(pattern);
  for (let tok = scanner.next(); tok !== EOF; tok = scanner.next()) {
    if (tok === Ch.star) {
      // `**` matches exactly what `*` does, with the same preference; one state is enough, and
      // it keeps `${a##*****...}` from costing a state per star.
      if (steps[steps.length - 1] !== STAR) steps.push(STAR);
      continue;
    }
    if (tok === Ch.question) {
      steps.push(ANY);
      continue;
    }
    if (tok === Ch.backslash) {
      const following = scanner.peek();
      // `}` and `/` had to be escaped to stay inside `${...}`; the backslash is not pattern.
      if (following === Ch.rightBrace || following === Ch.slash) continue;
      tok = scanner.next();
      if (tok !== Ch.star && tok !== Ch.question && tok !== Ch.backslash) {
        throw new ExpansionError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${chr(tok)}'`, at);
      }
    }
    steps.push(tok);
  }
  return steps;
}

/** A match as UTF-16 indexes: `[start, end)`. */
export type Match = readonly [number, number];

/** Threads in priority order; a state appears at most once (the first, preferred, one). */
class ThreadList {
  readonly states: Int32Array;
  readonly starts: Int32Array;
  count = 0;

  constructor(size: number) {
    this.states = new Int32Array(size);
    this.starts = new Int32Array(size);
  }

  push(state: number, start: number): void {
    this.states[this.count] = state;
    this.starts[this.count] = start;
    this.count++;
  }
}

/** A compiled pattern and the Pike VM that runs it (its buffers are reused across searches). */
export class Glob {
  private readonly accept: number;
  /**
   * Step number in which each state was last added, to keep one thread per state (a float
   * array: the count runs on across searches and must not wrap).
   */
  private readonly seen: Float64Array;
  private generation = 0;
  private current: ThreadList;
  private next: ThreadList;

  /**
   * @param steps one entry a step: a code point to match literally, STAR or ANY; the state
   *   after the last step accepts
   * @param greedy `*` takes as much as it can (true) or as little (false)
   */
  constructor(private readonly steps: Int32Array, private readonly greedy: boolean) {
    this.accept = steps.length;
    this.seen = new Float64Array(steps.length + 1);
    this.current = new ThreadList(steps.length + 1);
    this.next = new ThreadList(steps.length + 1);
  }

  /**
   * The leftmost-first match in `text` that starts at `from` or later (only at `from` when
   * `anchored`), or undefined.
   */
  find(text: string, from: number, anchored: boolean): Match | undefined {
    let match: Match | undefined;
    this.current.count = 0;
    this.generation++;
    for (let pos = from; ; ) {
      if (match === undefined && (!anchored || pos === from)) this.add(this.current, 0, pos);
      if (this.current.count === 0) break;
      const ch = text.codePointAt(pos) ?? EOF;
      match = this.step(ch, pos) ?? match;
      if (ch === EOF) break;
      pos += ch > 0xffff ? 2 : 1;
      [this.current, this.next] = [this.next, this.current];
    }
    return match;
  }

  /** Moves every thread over `ch` into `next`; returns the match a thread reaches here, if any. */
  private step(ch: number, pos: number): Match | undefined {
    const { current, next, steps } = this;
    const wildcardTakes = ch !== Ch.newline && ch !== EOF;
    this.generation++;
    next.count = 0;
    for (let i = 0; i < current.count; i++) {
      const state = current.states[i] ?? 0;
      const start = current.starts[i] ?? 0;
      // Every thread after a matching one has lower priority: a backtracker would never try it.
      if (state === this.accept) return [start, pos];
      const step = steps[state];
      if (step === STAR) {
        if (wildcardTakes) this.add(next, state, start);
      } else if (step === ANY ? wildcardTakes : step === ch) {
        this.add(next, state + 1, start);
      }
    }
    return undefined;
  }

  /**
   * Adds the thread for `state` and every state reachable from it without input. A star either
   * takes one more character (its own thread) or is skipped (on to the next state); greedy stars
   * rank taking first, lazy ones skipping first.
   */
  private add(list: ThreadList, state: number, start: number): void {
    const { seen, generation, steps } = this;
    let last = state;
    while (seen[last] !== generation && steps[last] === STAR) {
      seen[last] = generation;
      if (this.greedy) list.push(last, start);
      last++;
    }
    if (seen[last] !== generation) {
      seen[last] = generation;
      list.push(last, start);
    }
    if (!this.greedy) {
      for (let star = last - 1; star >= state; star--) list.push(star, start);
    }
  }
}
