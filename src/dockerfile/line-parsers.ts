// Splitting a logical line into keyword, flags and arguments, and the per-instruction
// argument shapes of BuildKit's line_parsers.go (FORMAT.md sections 5.3 and 6). Everything
// works on offsets into the logical line so that each piece keeps its source range.
import { isGoSpace, isListSpace, skipGoSpace, trimBounds } from './gostring.js';

/** A piece of the logical line: its value and where its source text lies. */
export interface Span {
  value: string;
  start: number;
  end: number;
}

export interface SplitLine {
  keyword: Span;
  flags: Span[];
  /** The trimmed argument string; for an empty one, start = end. */
  args: Span;
}

export interface ParsedArgs {
  args: Span[];
  json: boolean;
}

/** A malformed argument list: what is wrong and where, as offsets into the logical line. */
export class ArgsError extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly end: number,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** BuildKit's splitCommand on `text[from:to]`: trim, cut the keyword, extract flags. */
export function splitCommand(text: string, from: number, to: number, escape: string): SplitLine {
  const [start, end] = trimBounds(text, from, to);
  let cut = start;
  while (cut < end && !isListSpace(text.charCodeAt(cut))) cut++;
  const keyword = { value: text.slice(start, cut), start, end: cut };
  if (cut === end) return { keyword, flags: [], args: { value: '', start: end, end } };
  let rest = cut;
  while (rest < end && isListSpace(text.charCodeAt(rest))) rest++;
  const { flags, argsStart } = extractFlags(text, rest, end, escape);
  const [argsFrom, argsTo] = trimBounds(text, argsStart, end);
  return { keyword, flags, args: { value: text.slice(argsFrom, argsTo), start: argsFrom, end: argsTo } };
}

// Leading words that start with `--`. Quotes are removed, the escape character keeps the
// next character literally (even inside single quotes), and a `--` word ends the flags.
function extractFlags(text: string, from: number, to: number, escape: string) {
  const flags: Span[] = [];
  let pos = from;
  for (;;) {
    pos = skipGoSpace(text, pos, to);
    if (pos >= to || text[pos] !== '-' || text[pos + 1] !== '-' || pos + 1 >= to) return { flags, argsStart: pos };
    const start = pos;
    let value = '';
    let piece = pos;
    let quote = '';
    while (pos < to) {
      const ch = text[pos];
      if (quote === '' && isGoSpace(text.charCodeAt(pos))) break;
      if (ch === quote || (quote === '' && (ch === '"' || ch === "'"))) {
        value += text.slice(piece, pos);
        quote = quote === '' ? (ch as string) : '';
        piece = ++pos;
      } else if (ch === escape) {
        value += text.slice(piece, pos);
        piece = ++pos;
        if (pos < to) pos++;
      } else {
        pos++;
      }
    }
    value += text.slice(piece, pos);
    if (value === '--') return { flags, argsStart: pos };
    flags.push({ value, start, end: pos });
  }
}

type ArgParser = (args: string, escape: string) => ParsedArgs;

const none: ParsedArgs = { args: [], json: false };

/** The arguments of instruction `name` (lower-cased keyword, not ONBUILD) in BuildKit's shape. */
export function parseArgs(name: string, args: string, escape: string): ParsedArgs {
  return (dispatch.get(name) ?? ignoreArgs)(args, escape);
}

const maybeJSON: ArgParser = (args) => {
  if (args === '') return none;
  return parseJSON(args) ?? { args: [{ value: args, start: 0, end: args.length }], json: false };
};

const maybeJSONToList: ArgParser = (args, escape) => parseJSON(args) ?? whitespaceList(args, escape);

const whitespaceList: ArgParser = (args) => {
  const out: Span[] = [];
  let pos = 0;
  while (pos < args.length) {
    const start = pos;
    while (pos < args.length && !isListSpace(args.charCodeAt(pos))) pos++;
    out.push({ value: args.slice(start, pos), start, end: pos });
    while (pos < args.length && isListSpace(args.charCodeAt(pos))) pos++;
  }
  return { args: out, json: false };
};

const singleString: ArgParser = (args) => (args === '' ? none : { args: [{ value: args, start: 0, end: args.length }], json: false });

const words: ArgParser = (args, escape) => ({ args: splitWords(args, escape), json: false });

// Unknown instructions keep one empty argument; the instruction layer rejects them later.
const ignoreArgs: ArgParser = (args) => ({ args: [{ value: '', start: 0, end: args.length }], json: false });

function nameValue(keyword: string): ArgParser {
  return (args, escape) => {
    const found = splitWords(args, escape);
    const first = found[0];
    if (first === undefined) return none;
    if (!first.value.includes('=')) return legacyNameValue(keyword, args);
    const out: Span[] = [];
    for (const word of found) {
      const eq = word.value.indexOf('=');
      if (eq < 0) {
        throw new ArgsError(`can't find = in ${JSON.stringify(word.value)}: ${keyword} arguments must be of the form name=value`,
          word.start, word.end, 'put quotes around values with spaces, e.g. NAME="a b"');
      }
      const at = word.start + eq;
      out.push({ value: word.value.slice(0, eq), start: word.start, end: at });
      out.push({ value: word.value.slice(eq + 1), start: at + 1, end: word.end });
      out.push({ value: '=', start: at, end: at + 1 });
    }
    return { args: out, json: false };
  };
}

// `ENV name value...`: the name, then the rest of the raw string verbatim, then "".
function legacyNameValue(keyword: string, args: string): ParsedArgs {
  let cut = 0;
  while (cut < args.length && !isListSpace(args.charCodeAt(cut))) cut++;
  let rest = cut;
  while (rest < args.length && isListSpace(args.charCodeAt(rest))) rest++;
  if (cut === args.length) {
    throw new ArgsError(`${keyword} ${args} has no value: ${keyword} needs a name and a value`, 0, args.length,
      `write ${keyword} ${args}=value`);
  }
  return {
    args: [
      { value: args.slice(0, cut), start: 0, end: cut },
      { value: args.slice(rest), start: rest, end: args.length },
      { value: '', start: args.length, end: args.length },
    ],
    json: false,
  };
}

// HEALTHCHECK: the type word (CMD, NONE, ...) then the command as RUN would take it.
const health: ArgParser = (args, escape) => {
  if (args === '') return none;
  let sep = 0;
  while (sep < args.length && !isGoSpace(args.charCodeAt(sep))) sep++;
  const next = skipGoSpace(args, sep, args.length);
  const command = shifted(() => maybeJSON(args.slice(next), escape), next);
  return { args: [{ value: args.slice(0, sep), start: 0, end: sep }, ...command.args], json: command.json };
};

function shifted(parse: () => ParsedArgs, by: number): ParsedArgs {
  try {
    const parsed = parse();
    return { args: parsed.args.map((a) => ({ value: a.value, start: a.start + by, end: a.end + by })), json: parsed.json };
  } catch (err) {
    if (err instanceof ArgsError) throw new ArgsError(err.message, err.start + by, err.end + by, err.hint);
    throw err;
  }
}

const dispatch = new Map<string, ArgParser>([
  ['add', maybeJSONToList], ['copy', maybeJSONToList], ['volume', maybeJSONToList],
  ['run', maybeJSON], ['cmd', maybeJSON], ['entrypoint', maybeJSON], ['shell', maybeJSON],
  ['from', whitespaceList], ['expose', whitespaceList],
  ['user', singleString], ['workdir', singleString], ['maintainer', singleString], ['stopsignal', singleString],
  ['env', nameValue('ENV')], ['label', nameValue('LABEL')], ['arg', words], ['healthcheck', health],
]);

/**
 * BuildKit's parseWords: split on whitespace outside quotes, keeping quotes and escapes in
 * the words. Every word is a contiguous slice of `args` (only a final escape is dropped).
 */
export function splitWords(args: string, escape: string): Span[] {
  const out: Span[] = [];
  let pos = 0;
  while (pos < args.length) {
    pos = skipGoSpace(args, pos, args.length);
    if (pos >= args.length) break;
    const start = pos;
    let quote = '';
    let end = -1;
    while (pos < args.length) {
      const ch = args[pos];
      if (quote === '' && isGoSpace(args.charCodeAt(pos))) break;
      if (quote === '' && (ch === '"' || ch === "'")) quote = ch;
      else if (ch === quote) quote = '';
      else if (ch === escape && quote !== "'") {
        if (pos + 1 === args.length) {
          end = pos;
        } else {
          pos++;
        }
      }
      pos++;
    }
    if (end < 0) end = pos;
    if (end > start) out.push({ value: args.slice(start, end), start, end });
  }
  return out;
}

/**
 * A JSON array of strings, or undefined when the text is not a JSON array (then it is shell
 * form). An array holding anything but strings is an error, as in BuildKit.
 */
export function parseJSON(args: string): ParsedArgs | undefined {
  if (args[0] !== '[') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  if (!parsed.every((item) => typeof item === 'string')) {
    // Go's decoder fails on numbers that overflow a float64: BuildKit then falls back to shell form.
    if (overflows(parsed)) return undefined;
    throw new ArgsError('when using JSON array syntax, arrays must be comprised of strings only', 0, args.length,
      'quote every element, e.g. ["echo", "1"]');
  }
  const spans = stringLiteralSpans(args);
  const values = parsed as string[];
  return { args: values.map((value, i) => ({ value: wellFormed(value), start: spans[2 * i] ?? 0, end: spans[2 * i + 1] ?? 0 })), json: true };
}

// Offsets of each string literal (quotes included) of a JSON array known to hold only strings.
function stringLiteralSpans(json: string): number[] {
  const spans: number[] = [];
  let pos = json.indexOf('"');
  while (pos >= 0) {
    let end = pos + 1;
    while (end < json.length && json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
    spans.push(pos, end + 1);
    pos = json.indexOf('"', end + 1);
  }
  return spans;
}

function overflows(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (typeof value !== 'object' || value === null) return false;
  return Object.values(value).some(overflows);
}

// Go decodes an unpaired \uD800-style escape as U+FFFD.
function wellFormed(value: string): string {
  if (!/[\ud800-\udfff]/.test(value)) return value;
  return value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}
