// Here-documents on RUN, COPY and ADD. BuildKit finds them by splitting the whole logical
// line into shell words (quotes and escapes kept, `<<` glued to the spaces after it) and
// taking every word shaped `<digits?><<-?WORD`; then it lexes WORD once without and once
// with quotes to learn the delimiter and whether any of it was quoted (quoted => no
// expansion). Reading the bodies is continuation.ts's business.
import { KilnError } from '../util/errors.js';
import type { LogicalLine } from './continuation.js';
import { goSpaceClass, isGoSpace } from './gostring.js';

/** A heredoc found on the instruction line, before its body is read. */
export interface HeredocMarker {
  name: string;
  expand: boolean;
  chomp: boolean;
  fileDescriptor: number | undefined;
  /** Offsets of the marker word in the logical line. */
  start: number;
  end: number;
}

// Go's \s is [\t\n\f\r ]; `[^<]` also matches newlines.
// A delimiter without quotes, escapes, variables or spaces is its own name (the common case).
const plainDelimiter = new RegExp(`^[^${goSpaceClass}'"\\\\$<]+$`);
const heredocWord = /^(\d*)<<(-?)[\t\n\f\r ]*([^<]*)$/;

/** The heredoc markers of a logical line, in order. Throws a located error for a bad delimiter. */
export function findHeredocs(line: LogicalLine): HeredocMarker[] {
  let words: ShellWord[];
  try {
    words = shellWords(line.text, { rawQuotes: true, rawEscapes: true });
  } catch (err) {
    // BuildKit ignores a line it cannot split (an unclosed quote, say): no heredocs then.
    if (err instanceof ShellWordError) return [];
    throw err;
  }
  const markers: HeredocMarker[] = [];
  for (const word of words) {
    const marker = markerOf(word, line);
    if (marker) markers.push(marker);
  }
  return markers;
}

function markerOf(word: ShellWord, line: LogicalLine): HeredocMarker | undefined {
  const match = heredocWord.exec(word.text);
  const delimiter = match?.[3];
  if (match === null || delimiter === undefined || delimiter === '') return undefined;
  const end = word.start + word.text.length;
  const { plain, quoted } = plainDelimiter.test(delimiter)
    ? { plain: [delimiter], quoted: [delimiter] }
    : lexDelimiter(delimiter, () => line.error(word.start, end, `invalid heredoc delimiter ${JSON.stringify(delimiter)}`));
  const name = plain[0];
  // More than one word after `<<` (e.g. `<<EOF sh` as one word) is not a heredoc.
  if (plain.length !== 1 || name === undefined) return undefined;
  const expand = quoteCount(name) === quoteCount(quoted[0] ?? '');
  const digits = match[1] ?? '';
  return { name, expand, chomp: match[2] === '-', fileDescriptor: digits === '' ? undefined : Number(digits), start: word.start, end };
}

// The delimiter lexed without and with quotes kept (escapes are processed both times).
function lexDelimiter(delimiter: string, located: () => KilnError): { plain: string[]; quoted: string[] } {
  try {
    return {
      plain: shellWords(delimiter, { rawQuotes: false, rawEscapes: false }).map((w) => w.text),
      quoted: shellWords(delimiter, { rawQuotes: true, rawEscapes: false }).map((w) => w.text),
    };
  } catch (err) {
    if (!(err instanceof ShellWordError)) throw err;
    const base = located();
    throw new KilnError(base.code, `${base.message}: ${err.message}`, {
      hint: 'close the quotes in the delimiter, e.g. <<"EOF"',
      details: base.details,
    });
  }
}

function quoteCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 || c === 0x27) n++;
  }
  return n;
}

// ---- BuildKit's shell word splitter (shell/lex.go), as far as heredoc detection uses it ----
// Environment lookups always miss and unset variables are kept as written (SkipUnsetEnv), so
// `$x` and `${x:-y}` come back as text. The escape character is always the backslash here,
// whatever the file's escape directive says. Only lines holding `<<` on RUN/COPY/ADD get here.

interface ShellWord {
  text: string;
  /** Offset of the word's first character in the input. */
  start: number;
}

class ShellWordError extends Error {}

/** The word buffer, shared with nested `${...}` scans as in BuildKit (which resets it). */
interface WordBuffer {
  text: string;
  start: number;
}

function shellWords(src: string, options: { rawQuotes: boolean; rawEscapes: boolean }): ShellWord[] {
  return new WordLexer(src, options.rawQuotes).run('', options.rawEscapes).words;
}

class Words {
  readonly list: ShellWord[] = [];
  private inWord = false;

  constructor(private readonly buffer: WordBuffer) {
    buffer.text = '';
  }

  addChar(ch: string, at: number): void {
    if (!isGoSpace(ch.charCodeAt(0))) this.addRaw(ch, at);
    else if (this.inWord && this.buffer.text !== '') this.flush();
  }

  addRaw(text: string, at: number): void {
    if (this.buffer.text === '') this.buffer.start = at;
    this.buffer.text += text;
    this.inWord = true;
  }

  addString(text: string, at: number): void {
    for (const ch of text) this.addChar(ch, at);
  }

  finish(): ShellWord[] {
    if (this.buffer.text !== '') this.flush();
    return this.list;
  }

  private flush(): void {
    this.list.push({ text: this.buffer.text, start: this.buffer.start });
    this.buffer.text = '';
    this.inWord = false;
  }
}

class WordLexer {
  private pos = 0;
  private rawEscapes = false;
  private readonly buffer: WordBuffer = { text: '', start: 0 };

  constructor(
    private readonly src: string,
    private readonly rawQuotes: boolean,
  ) {}

  /** processStopOn: reads up to `stop` ('' = end of input) and returns the text and its words. */
  run(stop: string, rawEscapes: boolean): { result: string; words: ShellWord[] } {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      return this.scan(stop);
    } finally {
      this.rawEscapes = saved;
    }
  }

  private scan(stop: string): { result: string; words: ShellWord[] } {
    const { src } = this;
    const words = new Words(this.buffer);
    let result = '';
    while (this.pos < src.length) {
      const at = this.pos;
      const ch = src[at] as string;
      if (ch === stop) {
        this.pos++;
        return { result, words: words.finish() };
      }
      if (ch === '$' || ch === '<' || ch === "'" || ch === '"') {
        const text = this.special(ch);
        result += text;
        if (ch === '$') words.addString(text, at);
        else words.addRaw(text, at);
        continue;
      }
      if (ch !== '\\') {
        // A run of ordinary characters goes in at once; a space may end a word.
        let end = at + 1;
        if (!isGoSpace(ch.charCodeAt(0))) while (end < src.length && ordinary(src.charCodeAt(end), stop)) end++;
        const run = end === at + 1 ? ch : src.slice(at, end);
        if (end === at + 1) words.addChar(ch, at);
        else words.addRaw(run, at);
        result += run;
        this.pos = end;
        continue;
      }
      this.pos++;
      if (this.rawEscapes) {
        words.addRaw(ch, at);
        result += ch;
      }
      if (this.pos >= src.length) break;
      const escaped = src[this.pos++] as string;
      words.addRaw(escaped, at + 1);
      result += escaped;
    }
    if (stop !== '') throw new ShellWordError(`unexpected end of statement while looking for matching ${stop}`);
    return { result, words: words.finish() };
  }

  private special(ch: string): string {
    if (ch === '$') return this.dollar();
    if (ch === "'") return this.singleQuoted();
    if (ch === '"') return this.doubleQuoted();
    this.pos++;
    if (this.src[this.pos] !== '<') return '<';
    const from = ++this.pos;
    while (this.src[this.pos] === ' ' || this.src[this.pos] === '\t' || this.src[this.pos] === '\r') this.pos++;
    return `<<${this.src.slice(from, this.pos)}`;
  }

  private singleQuoted(): string {
    const from = ++this.pos;
    const close = this.src.indexOf("'", from);
    if (close < 0) throw new ShellWordError('unexpected end of statement while looking for matching single-quote');
    this.pos = close + 1;
    const body = this.src.slice(from, close);
    return this.rawQuotes ? `'${body}'` : body;
  }

  private doubleQuoted(): string {
    const { src } = this;
    let out = this.rawQuotes ? '"' : '';
    this.pos++;
    for (;;) {
      if (this.pos >= src.length) throw new ShellWordError('unexpected end of statement while looking for matching double-quote');
      let ch = src[this.pos] as string;
      if (ch === '"') {
        this.pos++;
        return this.rawQuotes ? `${out}"` : out;
      }
      if (ch === '$') {
        out += this.dollar();
        continue;
      }
      this.pos++;
      if (ch === '\\') {
        if (this.rawEscapes) out += ch;
        if (this.pos >= src.length) continue;
        const next = src[this.pos] as string;
        if (next === '"' || next === '$' || next === '\\') {
          ch = next;
          this.pos++;
        }
      }
      out += ch;
    }
  }

  // With every variable unset and SkipUnsetEnv, `$x`, `${x}` and `${x:-w}` come back as text
  // (with w itself scanned); malformed forms are errors, which make BuildKit skip the line.
  private dollar(): string {
    const { src } = this;
    this.pos++;
    if (src[this.pos] !== '{') {
      const name = this.name();
      return name === '' ? '$' : `$${name}`;
    }
    this.pos++;
    if (this.pos >= src.length) throw new ShellWordError("syntax error: missing '}'");
    if ('{}:'.includes(src[this.pos] as string)) throw new ShellWordError('syntax error: bad substitution');
    const name = this.name();
    let ch = this.take();
    let modifier = ch;
    if (ch === '}') return `\${${name}}`;
    if (ch === '/') return this.replacement(name);
    const nullIsUnset = ch === ':';
    if (nullIsUnset) {
      ch = this.take();
      modifier += ch;
    } else if (!'+-?#%'.includes(ch)) {
      throw new ShellWordError(`unsupported modifier (${modifier}) in substitution`);
    }
    const rawEscapes = ch === '#' || ch === '%';
    if (nullIsUnset && rawEscapes) throw new ShellWordError(`unsupported modifier (${modifier}) in substitution`);
    return `\${${name}${modifier}${this.run('}', rawEscapes).result}}`;
  }

  private replacement(name: string): string {
    if (this.src[this.pos] === '/') this.pos++;
    const pattern = this.run('/', true).result;
    const replacement = this.run('}', true).result;
    return `\${${name}/${pattern}/${replacement}}`;
  }

  /** scanner.Next: one character, or U+FFFD (Go's string(EOF)) at the end. */
  private take(): string {
    return this.pos < this.src.length ? (this.src[this.pos++] as string) : '\ufffd';
  }

  private name(): string {
    const { src } = this;
    const from = this.pos;
    const first = src.codePointAt(from);
    if (first === undefined) return '';
    if (isDigit(first)) {
      while (this.pos < src.length && isDigit(src.codePointAt(this.pos) ?? 0)) this.pos += width(src, this.pos);
      return src.slice(from, this.pos);
    }
    if ('@*#?-$!0'.includes(String.fromCodePoint(first))) return src[this.pos++] as string;
    for (let cp = first; this.pos < src.length; cp = src.codePointAt(this.pos) ?? 0) {
      if (!(cp === 0x5f || isDigit(cp) || isLetter(cp))) break;
      this.pos += width(src, this.pos);
    }
    return src.slice(from, this.pos);
  }
}

// Not a character the scanner treats specially ($ < ' " \\), not a space, not the stop character.
function ordinary(code: number, stop: string): boolean {
  if (code === 0x24 || code === 0x3c || code === 0x27 || code === 0x22 || code === 0x5c || isGoSpace(code)) return false;
  return stop === '' || code !== stop.charCodeAt(0);
}

function width(src: string, at: number): number {
  return (src.codePointAt(at) ?? 0) > 0xffff ? 2 : 1;
}

function isDigit(cp: number): boolean {
  return cp < 0x80 ? cp >= 0x30 && cp <= 0x39 : /\p{Nd}/u.test(String.fromCodePoint(cp));
}

function isLetter(cp: number): boolean {
  if (cp < 0x80) return (cp | 0x20) >= 0x61 && (cp | 0x20) <= 0x7a;
  return /\p{L}/u.test(String.fromCodePoint(cp));
}
