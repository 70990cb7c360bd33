// What `${name<op>word}` and `${name/pattern/replacement}` produce once their words are read,
// following BuildKit's shell lexer: `-` `+` `?` (with `:`, an empty value counts as unset),
// `#` `##` `%` `%%` (shortest/longest prefix/suffix removal) and `/` `//` (first/every match).
import { ExpansionError } from './words-error.js';
import { compileGlob, type Match } from './words-glob.js';
import { Ch, isNameChar } from './words-scanner.js';

export interface Modifier {
  name: string;
  /** The variable's value; undefined when it is not set. */
  value: string | undefined;
  /** The operator as written, `:` included (`:-`, `+`, `#`; the second `#` of `##` is in word). */
  operator: string;
  /** The expanded word after the operator (for `#`/`%`, with its escapes kept). */
  word: string;
  /** Index of the `$` in the input, for errors. */
  at: number;
}

export function applyModifier(m: Modifier): string {
  const nullIsUnset = m.operator.startsWith(':');
  const op = nullIsUnset ? m.operator.slice(1) : m.operator;
  const absent = m.value === undefined || (nullIsUnset && m.value === '');
  switch (op) {
    case '-':
      return absent ? m.word : (m.value ?? '');
    case '+':
      return absent ? '' : m.word;
    case '?':
      if (!absent) return m.value ?? '';
      throw new ExpansionError(`${m.name}: ${m.word || defaultRequiredMessage(m.value)}`, m.at);
    case '#':
    case '%':
      return removeAffix(op, m.word, m.value ?? '', m.at);
    default:
      throw new ExpansionError(`unsupported modifier (${m.operator}) in substitution`, m.at);
  }
}

function defaultRequiredMessage(value: string | undefined): string {
  return value === undefined ? 'is not allowed to be unset' : 'is not allowed to be empty';
}

// A doubled operator asks for the longest match. BuildKit looks at the word after expansion, so
// `${a#$b}` with b=`#x` removes the longest match of `x`.
function removeAffix(op: '#' | '%', word: string, value: string, at: number): string {
  const greedy = word.startsWith(op);
  const pattern = greedy ? word.slice(1) : word;
  return op === '#' ? trimPrefix(pattern, value, greedy, at) : trimSuffix(pattern, value, greedy, at);
}

function trimPrefix(pattern: string, value: string, greedy: boolean, at: number): string {
  const match = compileGlob(pattern, greedy, at).find(value, 0, true);
  return match === undefined ? value : value.slice(match[1]);
}

// The shortest/longest suffix is the shortest/longest prefix of the reversed value, matched by
// the reversed pattern (escapes stay in front of the character they escape).
function trimSuffix(pattern: string, value: string, greedy: boolean, at: number): string {
  return reverse(trimPrefix(reversePattern(pattern), reverse(value), greedy, at));
}

function reverse(text: string): string {
  return Array.from(text).reverse().join('');
}

/** Reverses code points, keeping each `\x` pair in order; a lone trailing `\` moves to the front. */
function reversePattern(pattern: string): string {
  const chars = Array.from(pattern);
  const out: string[] = [];
  for (let i = 0; i < chars.length; ) {
    const ch = chars[i] ?? '';
    if (ch === '\\' && i !== chars.length - 1) {
      out.push(`\\${chars[i + 1] ?? ''}`);
      i += 2;
    } else {
      out.push(ch);
      i++;
    }
  }
  return out.reverse().join('');
}

/** `${name/pattern/replacement}` (first match) and `${name//pattern/replacement}` (every match). */
export function replaceMatches(value: string, pattern: string, replacement: string, all: boolean, at: number): string {
  const glob = compileGlob(pattern, true, at);
  if (!all) {
    const match = glob.find(value, 0, false);
    return match === undefined ? value : value.slice(0, match[0]) + replacement + value.slice(match[1]);
  }
  return replaceAll(value, (from) => glob.find(value, from, false), replacement);
}

// Go's Regexp.ReplaceAllString: an empty match right after a match is not replaced, the search
// always moves on by at least one character, and `$` in the replacement is a template reference.
function replaceAll(value: string, find: (from: number) => Match | undefined, template: string): string {
  let out = '';
  let lastEnd = 0;
  for (let searchPos = 0; searchPos <= value.length; ) {
    const match = find(searchPos);
    if (match === undefined) break;
    const [start, end] = match;
    out += value.slice(lastEnd, start);
    if (end > lastEnd || start === 0) out += expandTemplate(template, value.slice(start, end));
    lastEnd = end;
    const width = (value.codePointAt(searchPos) ?? 0) > 0xffff ? 2 : 1;
    searchPos = Math.max(searchPos + width, end);
  }
  return out + value.slice(lastEnd);
}

/**
 * Go's Regexp.Expand for a pattern without groups: `$$` is `$`, `$0`/`${0}` the whole match,
 * any other well-formed `$name`/`${name}` nothing, and a malformed one stays literal.
 */
function expandTemplate(template: string, whole: string): string {
  let out = '';
  let rest = template;
  for (let dollar = rest.indexOf('$'); dollar !== -1; dollar = rest.indexOf('$')) {
    out += rest.slice(0, dollar);
    rest = rest.slice(dollar + 1);
    if (rest.startsWith('$')) {
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    const ref = templateReference(rest);
    if (ref === undefined) {
      out += '$';
      continue;
    }
    if (ref.name === '0') out += whole;
    rest = rest.slice(ref.length);
  }
  return out + rest;
}

/** The `name` or `{name}` after a `$` and how many UTF-16 units it spans. */
function templateReference(text: string): { name: string; length: number } | undefined {
  const braced = text.startsWith('{');
  let end = braced ? 1 : 0;
  for (const ch of text.slice(end)) {
    const code = ch.codePointAt(0) ?? 0;
    if (!isNameChar(code)) break;
    end += ch.length;
  }
  const name = text.slice(braced ? 1 : 0, end);
  if (name === '') return undefined;
  if (!braced) return { name, length: end };
  return text.charCodeAt(end) === Ch.rightBrace ? { name, length: end + 1 } : undefined;
}
