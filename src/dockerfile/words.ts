// Variable expansion and quote removal of Dockerfile words, with the semantics of BuildKit's
// shell lexer (frontend/dockerfile/shell): the rules are a small subset of POSIX sh, plus the
// quirks that `docker build` users can observe, reproduced so that a Dockerfile expands the
// same way here. Escapes use the file's escape token (`\` or, with `# escape=\``, a backtick).
//
//   'text'      literal, no escapes; an unterminated quote is an error
//   "text"      `$` expands; the escape token escapes only `"`, `$` and itself
//   \x          x, outside quotes; a trailing escape is dropped
//   $name ${name}  letters/digits/_; `$1`..., `$@` `$*` `$#` `$?` `$-` `$$` `$!` `$0` are
//               names that are never set; `$` before anything else is a literal `$`
//   ${name:-w} ${name-w} ${name:+w} ${name+w} ${name:?w} ${name?w}   (words-param.ts)
//   ${name#p} ${name##p} ${name%p} ${name%%p} ${name/p/r} ${name//p/r}  (words-glob.ts)
//   <<          kept with the blanks after it, in one field (heredoc operators)
import { ExpansionError } from './words-error.js';
import { Fields, type FieldBuffer } from './words-fields.js';
import { applyModifier, replaceMatches } from './words-param.js';
import { Ch, chr, EOF, Scanner, scanName } from './words-scanner.js';

export { ExpansionError } from './words-error.js';

export type Env = ReadonlyMap<string, string>;

export interface WordResult {
  /** The expanded word, quotes removed. */
  value: string;
  /** The same text split into fields as processWords splits it. */
  words: string[];
  /** Variables the word referenced that are set in env. */
  matched: Set<string>;
  /** Variables the word referenced that are not set (for the UndefinedVar check). */
  unmatched: Set<string>;
}

export interface LexOptions {
  /** Keep quote characters in the output (BuildKit's RawQuotes). */
  rawQuotes?: boolean;
  /** Keep escape characters in the output (BuildKit's RawEscapes). */
  rawEscapes?: boolean;
  /** Leave references to unset variables as written (BuildKit's SkipUnsetEnv). */
  skipUnsetEnv?: boolean;
  /**
   * Treat quotes as ordinary characters (BuildKit's SkipProcessQuotes): how BuildKit expands
   * the bodies of COPY/ADD heredocs, where a `'` or `"` is file content.
   */
  skipProcessQuotes?: boolean;
}

export class ShellLex {
  private readonly escapeToken: number;
  private readonly options: Readonly<LexOptions>;

  constructor(escapeToken: '\\' | '`' = '\\', options: LexOptions = {}) {
    this.escapeToken = escapeToken === '`' ? Ch.backtick : Ch.backslash;
    this.options = { ...options };
  }

  /** One word (ENV/ARG/COPY/WORKDIR/LABEL values...). Throws ExpansionError. */
  processWord(word: string, env: Env): WordResult {
    return new ShellWord(word, env, this.escapeToken, this.options).expand();
  }

  /** A word list: unquoted expansions split on whitespace, quotes removed. Throws ExpansionError. */
  processWords(word: string, env: Env): string[] {
    return this.processWord(word, env).words;
  }
}

interface Expansion {
  value: string;
  words: string[];
}

/** The state of expanding one input word. */
class ShellWord {
  private readonly scanner: Scanner;
  private readonly fieldBuffer: FieldBuffer = { text: '' };
  private rawEscapes: boolean;
  private readonly matched = new Set<string>();
  private readonly unmatched = new Set<string>();

  constructor(
    private readonly source: string,
    private readonly env: Env,
    private readonly escapeToken: number,
    private readonly options: Readonly<LexOptions>,
  ) {
    this.scanner = new Scanner(source);
    this.rawEscapes = options.rawEscapes === true;
  }

  expand(): WordResult {
    try {
      const { value, words } = this.processUntil(EOF, this.rawEscapes);
      return { value, words, matched: this.matched, unmatched: this.unmatched };
    } catch (err) {
      if (!(err instanceof ExpansionError)) throw err;
      throw new ExpansionError(`failed to process ${JSON.stringify(this.source)}: ${err.message}`, err.offset);
    }
  }

  /**
   * Reads up to `stop` (consumed) or the end of input. Nested words (`${a:-word}`) come here
   * too, each with its own escape mode: `#`, `%` and `/` patterns keep their escapes.
   */
  private processUntil(stop: number, rawEscapes: boolean): Expansion {
    const outer = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      return this.scanUntil(stop);
    } finally {
      this.rawEscapes = outer;
    }
  }

  private scanUntil(stop: number): Expansion {
    const fields = new Fields(this.fieldBuffer);
    let value = '';
    for (let ch = this.scanner.peek(); ch !== EOF; ch = this.scanner.peek()) {
      if (ch === stop) {
        this.scanner.next();
        return { value, words: fields.finish() };
      }
      const special = this.special(ch);
      if (special !== undefined) {
        value += special;
        if (ch === Ch.dollar) fields.addString(special);
        else fields.addRawString(special);
        continue;
      }
      this.scanner.next();
      if (ch !== this.escapeToken) {
        fields.addChar(ch);
        value += chr(ch);
        continue;
      }
      if (this.rawEscapes) {
        fields.addRawChar(ch);
        value += chr(ch);
      }
      const escaped = this.scanner.next();
      if (escaped === EOF) break;
      fields.addRawChar(escaped);
      value += chr(escaped);
    }
    // Only reachable at the end of input, where readNested names the missing delimiter.
    if (stop !== EOF) throw new ExpansionError(`unexpected end of statement while looking for matching ${chr(stop)}`);
    return { value, words: fields.finish() };
  }

  /** Handles a character with a meaning of its own; undefined for ordinary ones. */
  private special(ch: number): string | undefined {
    switch (ch) {
      case Ch.dollar:
        return this.processDollar();
      case Ch.lessThan:
        return this.processPossibleHeredoc();
      case Ch.singleQuote:
        return this.options.skipProcessQuotes ? undefined : this.processSingleQuote();
      case Ch.doubleQuote:
        return this.options.skipProcessQuotes ? undefined : this.processDoubleQuote();
      default:
        return undefined;
    }
  }

  private processSingleQuote(): string {
    const at = this.scanner.offset;
    const quote = this.options.rawQuotes ? "'" : '';
    this.scanner.next();
    let text = quote;
    for (let ch = this.scanner.next(); ch !== Ch.singleQuote; ch = this.scanner.next()) {
      if (ch === EOF) throw new ExpansionError('unexpected end of statement while looking for matching single-quote', at);
      text += chr(ch);
    }
    return text + quote;
  }

  // Inside double quotes the escape token escapes `"`, `$` and itself and is kept before
  // anything else. With rawEscapes it is also copied first, so `"\x"` gives `\\x` (BuildKit).
  private processDoubleQuote(): string {
    const at = this.scanner.offset;
    const quote = this.options.rawQuotes ? '"' : '';
    this.scanner.next();
    let text = quote;
    for (let ch = this.scanner.peek(); ch !== Ch.doubleQuote; ch = this.scanner.peek()) {
      if (ch === EOF) throw new ExpansionError('unexpected end of statement while looking for matching double-quote', at);
      if (ch === Ch.dollar) {
        text += this.processDollar();
        continue;
      }
      this.scanner.next();
      if (ch === this.escapeToken) {
        if (this.rawEscapes) text += chr(ch);
        const following = this.scanner.peek();
        if (following === EOF) continue;
        if (following === Ch.doubleQuote || following === Ch.dollar || following === this.escapeToken) {
          ch = this.scanner.next();
        }
      }
      text += chr(ch);
    }
    this.scanner.next();
    return text + quote;
  }

  // `<<` and the blanks after it stay together in one field, as BuildKit keeps a heredoc
  // operator attached to its delimiter word.
  private processPossibleHeredoc(): string {
    this.scanner.next();
    if (this.scanner.peek() !== Ch.lessThan) return '<';
    this.scanner.next();
    let text = '<<';
    for (let ch = this.scanner.peek(); ch === Ch.space || ch === Ch.tab || ch === Ch.carriageReturn; ch = this.scanner.peek()) {
      text += chr(this.scanner.next());
    }
    return text;
  }

  private processDollar(): string {
    const at = this.scanner.offset;
    this.scanner.next();
    if (this.scanner.peek() !== Ch.leftBrace) {
      const name = scanName(this.scanner);
      if (name === '') return '$';
      const value = this.getEnv(name);
      if (value === undefined) return this.options.skipUnsetEnv ? `$${name}` : '';
      return value;
    }
    this.scanner.next();
    const first = this.scanner.peek();
    if (first === EOF) throw new ExpansionError("syntax error: missing '}'", at);
    if (first === Ch.leftBrace || first === Ch.rightBrace || first === Ch.colon) {
      throw new ExpansionError('syntax error: bad substitution', at);
    }
    return this.processBraced(scanName(this.scanner), at);
  }

  /** `${name` has been read; what follows decides the expansion. */
  private processBraced(name: string, at: number): string {
    const modifierAt = this.scanner.offset;
    const ch = this.scanner.next();
    switch (ch) {
      case Ch.rightBrace: {
        const value = this.getEnv(name);
        if (value === undefined) return this.options.skipUnsetEnv ? `\${${name}}` : '';
        return value;
      }
      case Ch.colon:
      case Ch.plus:
      case Ch.minus:
      case Ch.question:
      case Ch.hash:
      case Ch.percent:
        return this.processModifier(name, ch, at, modifierAt);
      case Ch.slash:
        return this.processReplace(name, at);
      default:
        throw new ExpansionError(`unsupported modifier (${chr(ch)}) in substitution`, modifierAt);
    }
  }

  private processModifier(name: string, first: number, at: number, modifierAt: number): string {
    const op = first === Ch.colon ? this.scanner.next() : first;
    const operator = first === Ch.colon ? `:${chr(op)}` : chr(op);
    const keepEscapes = op === Ch.hash || op === Ch.percent;
    if (first === Ch.colon && keepEscapes) {
      throw new ExpansionError(`unsupported modifier (${operator}) in substitution`, modifierAt);
    }
    // The word is read (and may fail) before an unknown operator such as `:=` is reported.
    const word = this.readNested(Ch.rightBrace, keepEscapes, "syntax error: missing '}'", at);
    const value = this.getEnv(name);
    if (value === undefined && this.options.skipUnsetEnv) return `\${${name}${operator}${word}}`;
    return applyModifier({ name, value, operator, word, at });
  }

  private processReplace(name: string, at: number): string {
    const all = this.scanner.peek() === Ch.slash;
    if (all) this.scanner.next();
    const pattern = this.readNested(Ch.slash, true, "syntax error: missing '/' in ${}", at);
    const replacement = this.readNested(Ch.rightBrace, true, "syntax error: missing '}'", at);
    const value = this.getEnv(name);
    // BuildKit writes a single `/` back even for `//`.
    if (value === undefined && this.options.skipUnsetEnv) return `\${${name}/${pattern}/${replacement}}`;
    return replaceMatches(value ?? '', pattern, replacement, all, at);
  }

  /** A nested word; running out of input inside it is reported as the missing delimiter. */
  private readNested(stop: number, keepEscapes: boolean, missing: string, at: number): string {
    try {
      return this.processUntil(stop, keepEscapes).value;
    } catch (err) {
      if (err instanceof ExpansionError && this.scanner.peek() === EOF) throw new ExpansionError(missing, at);
      throw err;
    }
  }

  private getEnv(name: string): string | undefined {
    const value = this.env.get(name);
    if (value === undefined) this.unmatched.add(name);
    else this.matched.add(name);
    return value;
  }
}
