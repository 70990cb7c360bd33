// The few Go string functions whose exact behaviour shows in BuildKit's parser output:
// unicode.IsSpace, strings.TrimSpace, strings.ToLower and strconv.Quote. JavaScript's
// look-alikes differ in small ways (\s has U+FEFF but not U+0085, toLowerCase applies
// final-sigma and full case mappings, JSON.stringify is not Go quoting), so they live here.

/** Go's unicode.IsSpace set as a character-class body, for building regular expressions. */
export const goSpaceClass = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/** unicode.IsSpace for one UTF-16 code unit (every Go space is in the BMP). */
export function isGoSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0x85) return false;
  return (
    code === 0x85 || code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 || code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000
  );
}

/** The `[\t\v\f\r ]` class BuildKit splits keywords and lists on (regexp reWhitespace). */
export function isListSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0b || code === 0x0c || code === 0x0d;
}

/** Index of the first non-space code unit of `s[from:to]`, or `to`. */
export function skipGoSpace(s: string, from: number, to: number): number {
  let i = from;
  while (i < to && isGoSpace(s.charCodeAt(i))) i++;
  return i;
}

/** End of `s[from:to]` without its trailing spaces. */
export function trimEnd(s: string, from: number, to: number): number {
  let end = to;
  while (end > from && isGoSpace(s.charCodeAt(end - 1))) end--;
  return end;
}

/** strings.TrimSpace. */
export function goTrimSpace(s: string): string {
  const start = skipGoSpace(s, 0, s.length);
  const end = trimEnd(s, start, s.length);
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

// Go lower-cases rune by rune with the simple case mapping: no final sigma, and capital
// dotted I becomes a plain `i` rather than JavaScript's two-rune `i̇`.
export function goToLower(s: string): string {
  if (/^[\x00-\x7f]*$/.test(s)) return s.toLowerCase();
  return Array.from(s, (ch) => (ch === '\u0130' ? 'i' : ch.toLowerCase())).join('');
}

const printableAscii = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const graphic = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
const namedEscapes: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' };

/** strconv.Quote: what BuildKit's Dump and `%q` print for every value. */
export function goQuote(s: string): string {
  if (printableAscii.test(s)) return `"${s}"`;
  const out: string[] = ['"'];
  for (const ch of s) out.push(quoteRune(ch));
  out.push('"');
  return out.join('');
}

function quoteRune(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  if (ch === '"') return '\\"';
  if (ch === '\\') return '\\\\';
  // A lone surrogate cannot come from UTF-8 text; Go would see U+FFFD in its place.
  if (cp >= 0xd800 && cp <= 0xdfff) return '\ufffd';
  if (cp === 0x20 || graphic.test(ch)) return ch;
  const named = namedEscapes[cp];
  if (named !== undefined) return named;
  if (cp < 0x20 || cp === 0x7f) return `\\x${hex(cp, 2)}`;
  return cp < 0x10000 ? `\\u${hex(cp, 4)}` : `\\U${hex(cp, 8)}`;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}
