// COPY source wildcards: Go's filepath.Match, applied one path element at a time (`*` and `?`
// never cross a `/`). Bad syntax is an INVALID_ARGUMENT error, found before anything is read.
import { KilnError } from '../util/errors.js';

/** True when `path` has an unescaped `*`, `?` or `[`, as the Dockerfile frontend decides. */
export function containsWildcards(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const ch = path[i];
    if (ch === '\\') i++;
    else if (ch === '*' || ch === '?' || ch === '[') return true;
  }
  return false;
}

/** Compiles one path element pattern into an anchored RegExp. */
export function compileElement(pattern: string): RegExp {
  const chars = Array.from(pattern);
  let source = '';
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else if (ch === '[') i = readClass(chars, i + 1, pattern, (text) => (source += text));
    else if (ch === '\\') {
      const escaped = chars[++i];
      if (escaped === undefined) bad(pattern, 'trailing backslash');
      source += escapeChar(escaped);
    } else source += escapeChar(ch);
  }
  return new RegExp(`^${source}$`, 'su');
}

// `[` `^`? (c | c-c)+ `]`, with `\` escaping any character inside. Returns the index of `]`.
function readClass(chars: string[], start: number, pattern: string, emit: (text: string) => void): number {
  let i = start;
  let out = '[';
  if (chars[i] === '^') {
    out += '^';
    i++;
  }
  let ranges = 0;
  for (;;) {
    if (chars[i] === ']' && ranges > 0) break;
    const low = classChar(chars, i, pattern);
    i = low.next;
    let text = escapeChar(low.char, true);
    if (chars[i] === '-') {
      const high = classChar(chars, i + 1, pattern);
      if (high.char < low.char) bad(pattern, 'character range out of order');
      text += `-${escapeChar(high.char, true)}`;
      i = high.next;
    }
    out += text;
    ranges++;
  }
  emit(`${out}]`);
  return i;
}

function classChar(chars: string[], i: number, pattern: string): { char: string; next: number } {
  let ch = chars[i];
  let next = i + 1;
  if (ch === '\\') {
    ch = chars[next];
    next++;
  } else if (ch === '-' || ch === ']') bad(pattern, `unexpected "${ch}" in a character class`);
  if (ch === undefined) bad(pattern, 'unterminated character class');
  return { char: ch, next };
}

// Unicode-mode RegExps reject needless escapes: `-` may be escaped only inside a class.
function escapeChar(ch: string, inClass = false): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) || (inClass && ch === '-') ? `\\${ch}` : ch;
}

function bad(pattern: string, reason: string): never {
  throw new KilnError('INVALID_ARGUMENT', `invalid COPY source pattern "${pattern}": ${reason}`, {
    hint: 'patterns follow Go filepath.Match: "*", "?", "[a-z]"; escape a literal character with "\\"',
  });
}
