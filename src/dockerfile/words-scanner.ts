// Character-level reading for word expansion. BuildKit walks a word with Go's text/scanner, one
// Unicode code point at a time; this reproduces the parts of it that show through: code points
// rather than UTF-16 units, EOF as -1, and a U+FEFF (byte order mark) dropped when it is the
// very first character of the text.

export const EOF = -1;

/** Code points the expansion grammar gives a meaning to. */
export const Ch = {
  tab: 0x09,
  newline: 0x0a,
  carriageReturn: 0x0d,
  space: 0x20,
  bang: 0x21,
  doubleQuote: 0x22,
  hash: 0x23,
  dollar: 0x24,
  percent: 0x25,
  singleQuote: 0x27,
  star: 0x2a,
  plus: 0x2b,
  minus: 0x2d,
  slash: 0x2f,
  zero: 0x30,
  nine: 0x39,
  colon: 0x3a,
  lessThan: 0x3c,
  question: 0x3f,
  at: 0x40,
  backslash: 0x5c,
  underscore: 0x5f,
  backtick: 0x60,
  leftBrace: 0x7b,
  rightBrace: 0x7d,
} as const;

const BYTE_ORDER_MARK = 0xfeff;

export class Scanner {
  private pos: number;

  constructor(private readonly text: string) {
    this.pos = text.charCodeAt(0) === BYTE_ORDER_MARK ? 1 : 0;
  }

  /** UTF-16 index of the next character, for error offsets. */
  get offset(): number {
    return this.pos;
  }

  peek(): number {
    return this.text.codePointAt(this.pos) ?? EOF;
  }

  next(): number {
    const ch = this.peek();
    if (ch !== EOF) this.pos += ch > 0xffff ? 2 : 1;
    return ch;
  }
}

const SPECIAL_PARAMETERS: ReadonlySet<number> = new Set<number>([
  Ch.at, Ch.star, Ch.hash, Ch.question, Ch.minus, Ch.dollar, Ch.bang, Ch.zero,
]);

/**
 * Reads a variable name after `$` or `${`: a run of letters, digits and `_`, except that a
 * leading digit makes it a run of digits (`$12x` is `$12` then `x`, positional parameters) and
 * a special parameter (`@ * # ? - $ ! 0`) is one character. Empty when none starts here.
 */
export function scanName(scanner: Scanner): string {
  const first = scanner.peek();
  let name = '';
  if (isDigit(first)) {
    while (isDigit(scanner.peek())) name += chr(scanner.next());
    return name;
  }
  if (SPECIAL_PARAMETERS.has(first)) return chr(scanner.next());
  while (isNameChar(scanner.peek())) name += chr(scanner.next());
  return name;
}

/** The text of one code point; EOF reads as U+FFFD, as Go's string(rune(-1)) does in messages. */
export function chr(ch: number): string {
  return ch === EOF ? '\uFFFD' : String.fromCodePoint(ch);
}

const LETTER = /^\p{L}$/u;
const DECIMAL_DIGIT = /^\p{Nd}$/u;

/** Go's unicode.IsDigit: any decimal digit (Nd), not only ASCII. */
export function isDigit(ch: number): boolean {
  if (ch < 0x80) return ch >= Ch.zero && ch <= Ch.nine;
  return DECIMAL_DIGIT.test(String.fromCodePoint(ch));
}

/** Go's unicode.IsLetter. */
export function isLetter(ch: number): boolean {
  if (ch < 0x80) return (ch >= 0x41 && ch <= 0x5a) || (ch >= 0x61 && ch <= 0x7a);
  return LETTER.test(String.fromCodePoint(ch));
}

/** A character that continues a variable name (and, in Go's regexp templates, a group name). */
export function isNameChar(ch: number): boolean {
  return ch === Ch.underscore || isLetter(ch) || isDigit(ch);
}

/** Go's unicode.IsSpace, which splits expanded values into words (JS's \s differs at U+FEFF). */
export function isSpace(ch: number): boolean {
  if (ch <= 0xff) return (ch >= 0x09 && ch <= 0x0d) || ch === 0x20 || ch === 0x85 || ch === 0xa0;
  return (
    ch === 0x1680 || (ch >= 0x2000 && ch <= 0x200a) || ch === 0x2028 || ch === 0x2029 ||
    ch === 0x202f || ch === 0x205f || ch === 0x3000
  );
}
