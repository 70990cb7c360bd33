// One .dockerignore pattern, compiled the way moby/patternmatcher compiles it. Syntax is Go's
// filepath.Match (`*`, `?`, `[...]`, `\`) plus `**`, checked up front so that a bad pattern
// fails when the file is read, never halfway through a walk. Docker turns each pattern into a
// Go regexp; we do the same into a JS RegExp, keeping its observable rules:
//   - `**` followed by more pattern is `(.*/)?`: any number of leading directories, even none,
//     and it eats one following `/` (so `a/**/b` matches `a/b`);
//   - `**` at the end matches anything, `/` included (`abc/**` matches below abc, not abc);
//   - a leading `**` followed by plain text is a suffix test: `**foo` matches `barfoo`.
// Where Docker's translation leaks regexp syntax (`*` or `?` inside `[...]`, an escaped letter
// such as `\d`, a bare `^`), we keep filepath.Match's meaning: plain characters.
import { KilnError } from '../util/errors.js';

/** One step of a compiled pattern; characters are whole code points, as Go compares runes. */
export type PatternToken =
  | { kind: 'char'; char: string }
  /** `?`: exactly one character other than `/`. */
  | { kind: 'one' }
  /** `[...]`: one character (`/` included) inside, or with `^` outside, the inclusive ranges. */
  | { kind: 'class'; negated: boolean; ranges: ReadonlyArray<readonly [number, number]> }
  /** `*`: any run of characters without `/`. */
  | { kind: 'star' }
  /** `**` before more pattern: zero or more whole directories (text ending in `/`, or nothing). */
  | { kind: 'dirs' }
  /** `**` at the end, or a leading `**` before plain text: anything at all. */
  | { kind: 'any' };

export interface CompiledPattern {
  tokens: PatternToken[];
  /** Matches a clean relative path when the pattern matches it or one of its parent directories. */
  regexp: RegExp;
}

/** Compiles a cleaned pattern (no `!`); throws an INVALID_ARGUMENT KilnError for bad syntax. */
export function compilePattern(pattern: string): CompiledPattern {
  const tokens = scanTokens(pattern);
  const body = tokens.map(tokenSource).join('');
  // The lookahead lets one test cover the path and each of its parents, which end at a `/`.
  return { tokens, regexp: new RegExp(`^(?:${body})(?=/|$)`, 'su') };
}

/**
 * True when some path beginning with `prefix` could still match: reading `prefix` leaves the
 * pattern with more to match. Used to prove that no exception can reach below a directory.
 */
export function canMatchPrefix(pattern: CompiledPattern, prefix: string): boolean {
  const { tokens } = pattern;
  let states = closure(tokens, [0]);
  for (const ch of prefix) {
    const next: number[] = [];
    for (const state of states) step(tokens, state, ch, next);
    states = closure(tokens, next);
    if (states.size === 0) return false;
  }
  return [...states].some((state) => state < tokens.length);
}

/** Go's path.Clean: drop empty and `.` elements, resolve `..` lexically, no trailing `/`. */
export function cleanPath(path: string): string {
  const rooted = path.startsWith('/');
  const out: string[] = [];
  for (const element of path.split('/')) {
    if (element === '' || element === '.') continue;
    if (element !== '..') out.push(element);
    else if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (!rooted) out.push('..');
  }
  const joined = out.join('/');
  return rooted ? `/${joined}` : joined || '.';
}

// Go's unicode.IsSpace set; JS's trim() differs (it strips U+FEFF and keeps U+0085).
const SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';
const EDGE_SPACE = new RegExp(`^[${SPACE}]+|[${SPACE}]+$`, 'g');

/** Go's strings.TrimSpace. */
export function trimSpace(text: string): string {
  return text.replace(EDGE_SPACE, '');
}

class PatternReader {
  private readonly chars: string[];
  pos = 0;

  constructor(readonly pattern: string) {
    this.chars = Array.from(pattern);
  }

  peek(): string | undefined {
    return this.chars[this.pos];
  }

  next(): string | undefined {
    return this.chars[this.pos++];
  }

  atEnd(): boolean {
    return this.pos >= this.chars.length;
  }

  fail(reason: string, hint: string): never {
    throw new KilnError('INVALID_ARGUMENT', `invalid pattern "${this.pattern}": ${reason}`, { hint });
  }
}

function scanTokens(pattern: string): PatternToken[] {
  const reader = new PatternReader(pattern);
  const tokens: PatternToken[] = [];
  // Docker tests `**text` as a plain suffix while nothing after the `**` is special.
  let plainAfterLead = pattern.startsWith('**');
  while (!reader.atEnd()) {
    const first = reader.pos === 0;
    const { token, special } = readToken(reader);
    if (special && !first) plainAfterLead = false;
    tokens.push(token);
  }
  if (plainAfterLead && pattern[2] !== '/') tokens[0] = { kind: 'any' };
  return tokens;
}

/** `special` is Docker's "this needs a regexp": anything but a plain character. */
function readToken(reader: PatternReader): { token: PatternToken; special: boolean } {
  const ch = reader.next() as string;
  switch (ch) {
    case '*':
      return { token: reader.peek() === '*' ? readGlobstar(reader) : { kind: 'star' }, special: true };
    case '?':
      return { token: { kind: 'one' }, special: true };
    case '[':
      return { token: readClass(reader), special: true };
    case ']':
      return { token: { kind: 'char', char: ch }, special: true };
    case '\\': {
      const escaped = reader.next();
      if (escaped === undefined) reader.fail('trailing backslash', 'escape a literal backslash as "\\\\"');
      return { token: { kind: 'char', char: escaped }, special: true };
    }
    default:
      return { token: { kind: 'char', char: ch }, special: false };
  }
}

function readGlobstar(reader: PatternReader): PatternToken {
  reader.next();
  if (reader.peek() === '/') reader.next();
  return reader.atEnd() ? { kind: 'any' } : { kind: 'dirs' };
}

// filepath.Match's class grammar: `[` `^`? range+ `]`, a range being `c` or `c-c`, where `c` is
// any character but `-` and `]` unless escaped with `\`.
function readClass(reader: PatternReader): PatternToken {
  const negated = reader.peek() === '^';
  if (negated) reader.next();
  const ranges: Array<readonly [number, number]> = [];
  for (;;) {
    if (reader.peek() === ']' && ranges.length > 0) {
      reader.next();
      return { kind: 'class', negated, ranges };
    }
    const lo = readClassChar(reader, ranges.length === 0 ? 'first' : 'start');
    let hi = lo;
    if (reader.peek() === '-') {
      reader.next();
      hi = readClassChar(reader, 'end');
    }
    if (hi < lo) {
      const range = `${String.fromCodePoint(lo)}-${String.fromCodePoint(hi)}`;
      reader.fail(`character range "${range}" is out of order`, 'write the lower character first, as in "a-z"');
    }
    ranges.push([lo, hi]);
  }
}

function readClassChar(reader: PatternReader, role: 'first' | 'start' | 'end'): number {
  const ch = reader.next();
  if (ch === ']' && role === 'first') reader.fail('empty character class', 'escape a literal "]" as "\\]"');
  if (ch === '-' || ch === ']') {
    const reason = role === 'end' ? 'character range has no end' : 'unescaped "-" in character class';
    reader.fail(reason, 'escape a literal "-" as "\\-"');
  }
  const char = ch === '\\' ? reader.next() : ch;
  if (char === undefined || reader.atEnd()) {
    reader.fail('unterminated character class', 'close it with "]", or escape a literal "[" as "\\["');
  }
  return char.codePointAt(0) as number;
}

const REGEXP_SYNTAX = /[\^$\\.*+?()[\]{}|/]/;

function tokenSource(token: PatternToken): string {
  switch (token.kind) {
    case 'char':
      return REGEXP_SYNTAX.test(token.char) ? `\\${token.char}` : token.char;
    case 'one':
      return '[^/]';
    case 'star':
      return '[^/]*';
    case 'dirs':
      return '(?:.*/)?';
    case 'any':
      return '.*';
    case 'class': {
      const ranges = token.ranges.map(([lo, hi]) => (lo === hi ? codePoint(lo) : `${codePoint(lo)}-${codePoint(hi)}`));
      return `[${token.negated ? '^' : ''}${ranges.join('')}]`;
    }
  }
}

function codePoint(cp: number): string {
  return `\\u{${cp.toString(16)}}`;
}

// The automaton below mirrors tokenSource: loops on star/dirs/any, which may also be skipped.
function closure(tokens: PatternToken[], seeds: number[]): Set<number> {
  const states = new Set<number>();
  const work = [...seeds];
  for (let state = work.pop(); state !== undefined; state = work.pop()) {
    if (states.has(state)) continue;
    states.add(state);
    const kind = tokens[state]?.kind;
    if (kind === 'star' || kind === 'dirs' || kind === 'any') work.push(state + 1);
  }
  return states;
}

function step(tokens: PatternToken[], state: number, ch: string, next: number[]): void {
  const token = tokens[state];
  if (token === undefined) return;
  switch (token.kind) {
    case 'char':
      if (token.char === ch) next.push(state + 1);
      return;
    case 'one':
      if (ch !== '/') next.push(state + 1);
      return;
    case 'class':
      if (inClass(token, ch.codePointAt(0) as number)) next.push(state + 1);
      return;
    case 'star':
      if (ch !== '/') next.push(state);
      return;
    case 'dirs':
      next.push(state);
      if (ch === '/') next.push(state + 1);
      return;
    case 'any':
      next.push(state);
  }
}

function inClass(token: Extract<PatternToken, { kind: 'class' }>, cp: number): boolean {
  return token.ranges.some(([lo, hi]) => lo <= cp && cp <= hi) !== token.negated;
}
