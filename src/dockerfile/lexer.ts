// The Dockerfile lexer: moo cuts the source into physical lines and classifies each one the
// way BuildKit's line loop does (comment, blank, ends in a line continuation, or ordinary
// text), so that the parser only has to join them into logical lines. Whether a line
// continues depends on the escape character, hence one lexer per escape token.
import moo from 'moo';
import { sourceError, type KilnError, type Range } from '../util/errors.js';
import { goSpaceClass } from './gostring.js';

export type EscapeToken = '\\' | '`';

/**
 * - `empty`: nothing between two newlines;
 * - `blank`: only whitespace (Go's unicode.IsSpace, which includes CR);
 * - `comment`: optional whitespace, then `#`;
 * - `continued`: ends with the escape character plus spaces/tabs (and CRs), that escape
 *   character not itself escaped: the logical line goes on;
 * - `text`: anything else.
 */
export type LineKind = 'empty' | 'blank' | 'comment' | 'continued' | 'text';

export interface PhysicalLine {
  /** 1-based line number. */
  number: number;
  kind: LineKind;
  /** The line without its `\n`; trailing CRs are kept (heredoc bodies keep them, like BuildKit). */
  raw: string;
  /** False for a last line with no newline after it. */
  terminated: boolean;
}

/** BuildKit reads lines with a bufio.Scanner whose token limit is 64 KiB including the newline. */
export const maxLineBytes = 65535;

// moo has Lexer#clone (same compiled rules, own position); its type definitions miss it.
declare module 'moo' {
  interface Lexer {
    clone(): Lexer;
  }
}

const lexers = new Map<EscapeToken, moo.Lexer>();

/** A lexer of its own for one reader, from rules compiled once per escape token. */
function lexerFor(escape: EscapeToken): moo.Lexer {
  let lexer = lexers.get(escape);
  if (lexer === undefined) {
    lexer = compileLexer(escape);
    lexers.set(escape, lexer);
  }
  return lexer.clone();
}

// Every rule but `newline` runs to the end of its physical line, so each token starts a line.
// Lines are split on `\n` only; `\r` is ordinary text except at the end of a line. Most lines
// do not end in the escape character, and the first `text` rule takes them in one pass; the
// few that do are either `continued` or end in an escaped escape character (`\\`), which
// is text again (`escapedEnd`, reported as `text`).
function compileLexer(escape: EscapeToken): moo.Lexer {
  const e = escape === '\\' ? '\\\\' : '`';
  const space = goSpaceClass.replace('\\n', '');
  const endOfLine = '(?=\\n|(?![\\s\\S]))';
  return moo.compile({
    newline: { match: '\n', lineBreaks: true },
    comment: new RegExp(`[${space}]*#[^\\n]*`),
    blank: new RegExp(`[${space}]+${endOfLine}`),
    text: new RegExp(`[^\\n]*[^\\n \\t\\r${e}][ \\t\\r]*${endOfLine}`),
    continued: new RegExp(`[^\\n]*(?<!${e})${e}[ \\t]*\\r*${endOfLine}`),
    escapedEnd: /[^\n]+/,
  });
}

/** Hands out physical lines one at a time and remembers them for error excerpts. */
export class LineReader {
  /** Every line read so far, without line ending (trailing CRs removed). */
  readonly lines: string[] = [];
  private readonly lexer: moo.Lexer;
  private readonly current: PhysicalLine = { number: 0, kind: 'empty', raw: '', terminated: false };

  constructor(
    source: string,
    escape: EscapeToken,
    readonly file: string,
  ) {
    this.lexer = lexerFor(escape);
    this.lexer.reset(source);
  }

  /**
   * The next physical line, or undefined at end of input. The same object is handed out
   * each time (a large file has tens of thousands of lines): read it before calling again.
   */
  next(): PhysicalLine | undefined {
    const token = this.lexer.next();
    if (token === undefined) return undefined;
    if (token.type === 'newline') return this.record('empty', '', token.line, true);
    const terminated = this.lexer.next() !== undefined;
    const kind = token.type === 'escapedEnd' ? 'text' : (token.type as LineKind);
    const line = this.record(kind, token.text, token.line, terminated);
    if (token.text.length > maxLineBytes / 3 && Buffer.byteLength(token.text) > maxLineBytes) this.tooLong(line);
    return line;
  }

  /** A located error whose excerpt is the physical line the range starts on. */
  error(range: Range, message: string, hint?: string): KilnError {
    const text = this.lines[range.start.line - 1] ?? '';
    return sourceError(message, { file: this.file, range, text }, hint);
  }

  private record(kind: LineKind, raw: string, number: number, terminated: boolean): PhysicalLine {
    this.lines.push(stripTrailingCR(raw));
    const line = this.current;
    line.number = number;
    line.kind = kind;
    line.raw = raw;
    line.terminated = terminated;
    return line;
  }

  private tooLong(line: PhysicalLine): never {
    // The excerpt is cut short: printing 64 KiB under a caret helps nobody.
    const text = `${line.raw.slice(0, 80)}…`;
    const range = { start: { line: line.number, column: 1 }, end: { line: line.number, column: 2 } };
    throw sourceError(
      `line ${line.number} is longer than ${maxLineBytes} bytes, the most a Dockerfile line may hold`,
      { file: this.file, range, text },
      'split it over several lines with a line continuation (the escape character at the end of a line)',
    );
  }
}

export function stripTrailingCR(raw: string): string {
  let end = raw.length;
  while (end > 0 && raw.charCodeAt(end - 1) === 13) end--;
  return end === raw.length ? raw : raw.slice(0, end);
}
