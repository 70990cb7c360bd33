// Here-documents on RUN, COPY and ADD. BuildKit splits the whole logical line into shell
// words (quotes and escapes kept, `<<` glued to the spaces after it), takes every word shaped
// `<digits?><<-?WORD`, and lexes WORD without and with quotes to learn the delimiter and
// whether any of it was quoted (then no expansion). continuation.ts reads the bodies.
import type { Heredoc } from './ast.js';
import type { LogicalLine } from './continuation.js';
import { goSpaceClass, isGoSpace } from './gostring.js';

/** A heredoc found on the instruction line, before its body is read; start/end are offsets in the line. */
export interface HeredocMarker extends Omit<Heredoc, 'content' | 'range'> {
  start: number;
  end: number;
}

const heredocWord = /^(\d*)<<(-?)[\t\n\f\r ]*([^<]*)$/; // Go's \s; [^<] matches newlines too
// A delimiter without quotes, escapes, variables or spaces is its own name (the common case).
const plainDelimiter = new RegExp(`^[^${goSpaceClass}'"\\\\$<]+$`);

/** The heredoc markers of a logical line, in order. Throws a located error for a bad delimiter. */
export function findHeredocs(line: LogicalLine): HeredocMarker[] {
  const words = shellWords(line.text, { rawQuotes: true, rawEscapes: true });
  // BuildKit ignores a line it cannot split (an unclosed quote, say): no heredocs then.
  if (typeof words === 'string') return [];
  const markers: HeredocMarker[] = [];
  for (const word of words) {
    // Words cut out of a `${...}` expansion only know where the `$` was: find the text itself.
    if (!line.text.startsWith(word.text, word.start)) word.start = Math.max(word.start, line.text.indexOf(word.text, word.start));
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
  const simple = plainDelimiter.test(delimiter);
  const plain = simple ? [delimiter] : delimiterWords(delimiter, false, line, word.start, end);
  const quoted = simple ? plain : delimiterWords(delimiter, true, line, word.start, end);
  const name = plain[0];
  // More than one word after `<<` (e.g. `<<EOF sh` as one word) is not a heredoc.
  if (plain.length !== 1 || name === undefined) return undefined;
  const expand = quotes(name) === quotes(quoted[0] ?? '');
  const digits = match[1] ?? '';
  return { name, expand, chomp: match[2] === '-', fileDescriptor: digits === '' ? undefined : Number(digits), start: word.start, end };
}

const quotes = (text: string): number => text.match(/['"]/g)?.length ?? 0;

// The delimiter lexed with or without its quotes kept (escapes are processed both times).
function delimiterWords(delimiter: string, rawQuotes: boolean, line: LogicalLine, start: number, end: number): string[] {
  const words = shellWords(delimiter, { rawQuotes, rawEscapes: false });
  if (typeof words !== 'string') return words.map((w) => w.text);
  throw line.error(start, end, `invalid heredoc delimiter ${JSON.stringify(delimiter)}: ${words}`,
    'close the quotes in the delimiter, e.g. <<"EOF"');
}

// ---- BuildKit's shell word splitter (shell/lex.go), as far as heredoc detection uses it ----
// Environment lookups always miss and unset variables are kept as written (SkipUnsetEnv), so
// `$x` and `${x:-y}` come back as text. The escape character is always the backslash here,
// whatever the file's escape directive says. Only lines holding `<<` on RUN/COPY/ADD get here.

/** A word and the offset of its first character in the input. */
interface ShellWord {
  text: string;
  start: number;
}

class ShellWordError extends Error {}

/** The words of `src`, or why it cannot be split (BuildKit's error text). */
function shellWords(src: string, options: { rawQuotes: boolean; rawEscapes: boolean }): ShellWord[] | string {
  try {
    return new WordLexer(src, options.rawQuotes).run('', options.rawEscapes).words;
  } catch (err) {
    if (err instanceof ShellWordError) return err.message;
    throw err;
  }
}

class Words {
  readonly list: ShellWord[] = [];

  // The word being built lives in a buffer shared with nested `${...}` scans, which reset
  // it, as in BuildKit (text before such an expansion drops out of its word).
  constructor(private readonly buffer: ShellWord) {
    buffer.text = '';
  }

  addChar(ch: string, at: number): void {
    if (!isGoSpace(ch.charCodeAt(0))) this.addRaw(ch, at);
    else if (this.buffer.text !== '') this.flush();
  }

  addRaw(text: string, at: number): void {
    if (this.buffer.text === '') this.buffer.start = at;
    this.buffer.text += text;
  }

  finish(): ShellWord[] {
    if (this.buffer.text !== '') this.flush();
    return this.list;
  }

  private flush(): void {
    this.list.push({ text: this.buffer.text, start: this.buffer.start });
    this.buffer.text = '';
  }
}

class WordLexer {
  private pos = 0;
  private rawEscapes = false;
  private readonly buffer: ShellWord = { text: '', start: 0 };

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

  // The text read is only wanted inside `${...}` (stop set); at the top level only the words.
  private scan(stop: string): { result: string; words: ShellWord[] } {
    const { src } = this;
    const words = new Words(this.buffer);
    const keep = stop !== '';
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
        if (keep) result += text;
        // An expansion's text is split on spaces; any other special text is kept whole.
        if (ch === '$') for (const c of text) words.addChar(c, at);
        else words.addRaw(text, at);
        continue;
      }
      if (ch !== '\\') {
        // A run of ordinary characters goes in at once; a space may end a word.
        let end = at + 1;
        if (isGoSpace(ch.charCodeAt(0))) words.addChar(ch, at);
        else {
          while (end < src.length && ordinary(src.charCodeAt(end), stop)) end++;
          words.addRaw(src.slice(at, end), at);
        }
        if (keep) result += src.slice(at, end);
        this.pos = end;
        continue;
      }
      this.pos++;
      if (this.rawEscapes) words.addRaw(ch, at);
      if (this.pos >= src.length) {
        if (keep && this.rawEscapes) result += ch;
        break;
      }
      const escaped = src[this.pos++] as string;
      words.addRaw(escaped, at + 1);
      if (keep) result += this.rawEscapes ? ch + escaped : escaped;
    }
    if (keep) throw new ShellWordError(`unexpected end of statement while looking for matching ${stop}`);
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
      const ch = src[this.pos] as string;
      if (ch === '"') {
        this.pos++;
        return this.rawQuotes ? `${out}"` : out;
      }
      if (ch === '$') {
        out += this.dollar();
      } else if (ch !== '\\') {
        const end = plainQuoted(src, this.pos);
        out += src.slice(this.pos, end);
        this.pos = end;
      } else {
        // A backslash escapes only `"`, `$` and itself; before anything else it stays (twice if raw).
        const next = src[++this.pos];
        if (this.rawEscapes) out += ch;
        if (next === '"' || next === '$' || next === '\\') {
          out += next;
          this.pos++;
        } else if (next !== undefined) {
          out += ch;
        }
      }
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

  // processName: a run of digits, or one special parameter, or letters, digits and `_`.
  private name(): string {
    for (const part of nameParts) {
      part.lastIndex = this.pos;
      const found = part.exec(this.src)?.[0];
      if (found !== undefined) {
        this.pos += found.length;
        return found;
      }
    }
    return '';
  }
}

const nameParts = [/\p{Nd}+/uy, /[@*#?\-$!]/uy, /[\p{L}\p{Nd}_]+/uy];

// The end of the run from `at` of characters with no meaning inside double quotes.
function plainQuoted(src: string, at: number): number {
  let end = at;
  while (end < src.length && !'"$\\'.includes(src[end] as string)) end++;
  return end;
}

// Not a character the scanner treats specially ($ < ' " \\), not a space, not the stop character.
function ordinary(code: number, stop: string): boolean {
  if (code === 0x24 || code === 0x3c || code === 0x27 || code === 0x22 || code === 0x5c || isGoSpace(code)) return false;
  return stop === '' || code !== stop.charCodeAt(0);
}
