// Splitting a logical line into keyword, flags and arguments, and the per-instruction
// argument shapes of BuildKit's line_parsers.go (FORMAT.md sections 5.3 and 6). Everything
// works on offsets so that each piece keeps its source range.
import type { ArgNode, Range } from './ast.js';
import { isGoSpace, isListSpace, skipGoSpace, trimEnd } from './gostring.js';

/** A flag word: its unquoted text and the offsets of its source text. */
export interface FlagWord {
  text: string;
  start: number;
  end: number;
}

/** Offsets into the logical line; the argument string is trimmed (empty: start = end). */
export interface SplitLine {
  keywordStart: number;
  keywordEnd: number;
  flags: FlagWord[];
  argsStart: number;
  argsEnd: number;
}

/** Turns offsets into the argument string into source ranges. */
export interface ArgPlacer {
  range(start: number, end: number): Range;
}

export interface ParsedArgs {
  args: ArgNode[];
  /** True when the arguments were a JSON array (exec form). */
  json: boolean;
}

/** A malformed argument list: what is wrong and where, as offsets into the argument string. */
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
  const start = skipGoSpace(text, from, to);
  const end = trimEnd(text, start, to);
  let cut = start;
  while (cut < end && !isListSpace(text.charCodeAt(cut))) cut++;
  const split = { keywordStart: start, keywordEnd: cut, flags: [] as FlagWord[], argsStart: end, argsEnd: end };
  if (cut === end) return split;
  let rest = cut;
  while (rest < end && isListSpace(text.charCodeAt(rest))) rest++;
  split.argsStart = skipGoSpace(text, extractFlags(text, rest, end, escape, split.flags), end);
  return split;
}

// Leading words that start with `--`, pushed onto `flags`; returns where the arguments start.
// Quotes are removed, the escape character keeps the next character literally (even inside
// single quotes), and a `--` word ends the flags. BuildKit reads this byte by byte, so only
// ASCII whitespace separates flags (a U+2028 does not).
function extractFlags(text: string, from: number, to: number, escape: string, flags: FlagWord[]): number {
  let pos = from;
  for (;;) {
    while (pos < to && isAsciiSpace(text.charCodeAt(pos))) pos++;
    if (pos + 1 >= to || text.charCodeAt(pos) !== 0x2d || text.charCodeAt(pos + 1) !== 0x2d) return pos;
    const start = pos;
    let value = '';
    let piece = pos;
    let quote = '';
    while (pos < to) {
      const ch = text[pos];
      if (quote === '' && isAsciiSpace(text.charCodeAt(pos))) break;
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
    value = piece === start ? text.slice(start, pos) : value + text.slice(piece, pos);
    if (value === '--') return pos;
    flags.push({ text: value, start, end: pos });
  }
}

type ArgParser = (args: string, escape: string, at: ArgPlacer) => ParsedArgs;

/** The arguments of instruction `name` (lower-cased keyword, not ONBUILD) in BuildKit's shape. */
export function parseArgs(name: string, args: string, escape: string, at: ArgPlacer): ParsedArgs {
  return (dispatch.get(name) ?? ignoreArgs)(args, escape, at);
}

// An array grown by push keeps room for 16 elements; the AST keeps a right-sized copy
// (a large file has thousands of these, and their size is what the garbage collector pays for).
function exact(items: ArgNode[]): ArgNode[] {
  return items.slice();
}

function arg(value: string, at: ArgPlacer, start: number, end: number): ArgNode {
  return { value, range: at.range(start, end) };
}

const maybeJSON: ArgParser = (args, _escape, at) => {
  if (args === '') return { args: [], json: false };
  return parseJSON(args, at) ?? { args: [arg(args, at, 0, args.length)], json: false };
};

const maybeJSONToList: ArgParser = (args, escape, at) => parseJSON(args, at) ?? whitespaceList(args, escape, at);

const whitespaceList: ArgParser = (args, _escape, at) => {
  const out: ArgNode[] = [];
  let pos = 0;
  while (pos < args.length) {
    const start = pos;
    while (pos < args.length && !isListSpace(args.charCodeAt(pos))) pos++;
    out.push(arg(args.slice(start, pos), at, start, pos));
    while (pos < args.length && isListSpace(args.charCodeAt(pos))) pos++;
  }
  return { args: exact(out), json: false };
};

const singleString: ArgParser = (args, _escape, at) => ({ args: args === '' ? [] : [arg(args, at, 0, args.length)], json: false });

const words: ArgParser = (args, escape, at) => {
  const bounds = splitWords(args, escape);
  const out: ArgNode[] = [];
  for (let i = 0; i < bounds.length; i += 2) {
    const start = bounds[i] ?? 0;
    const end = bounds[i + 1] ?? 0;
    out.push(arg(args.slice(start, end), at, start, end));
  }
  return { args: exact(out), json: false };
};

// Unknown instructions keep one empty argument; the instruction layer rejects them later.
const ignoreArgs: ArgParser = (args, _escape, at) => ({ args: [arg('', at, 0, args.length)], json: false });

// ENV and LABEL: `name=value...` gives (name, value, "=") per word; the legacy `name value`
// gives (name, the rest verbatim, "").
function nameValue(keyword: string): ArgParser {
  return (args, escape, at) => {
    const bounds = splitWords(args, escape);
    if (bounds.length === 0) return { args: [], json: false };
    const firstEq = args.indexOf('=', bounds[0]);
    if (firstEq < 0 || firstEq >= (bounds[1] ?? 0)) return legacyNameValue(keyword, args, at);
    const out: ArgNode[] = [];
    for (let i = 0; i < bounds.length; i += 2) {
      const start = bounds[i] ?? 0;
      const end = bounds[i + 1] ?? 0;
      const eq = args.indexOf('=', start);
      if (eq < 0 || eq >= end) {
        throw new ArgsError(`can't find = in ${JSON.stringify(args.slice(start, end))}: ${keyword} arguments must be of the form name=value`,
          start, end, 'put quotes around values with spaces, e.g. NAME="a b"');
      }
      out.push(arg(args.slice(start, eq), at, start, eq), arg(args.slice(eq + 1, end), at, eq + 1, end), arg('=', at, eq, eq + 1));
    }
    return { args: exact(out), json: false };
  };
}

function legacyNameValue(keyword: string, args: string, at: ArgPlacer): ParsedArgs {
  let cut = 0;
  while (cut < args.length && !isListSpace(args.charCodeAt(cut))) cut++;
  let rest = cut;
  while (rest < args.length && isListSpace(args.charCodeAt(rest))) rest++;
  if (cut === args.length) {
    throw new ArgsError(`${keyword} ${args} has no value: ${keyword} needs a name and a value`, 0, args.length,
      `write ${keyword} ${args}=value`);
  }
  const end = args.length;
  return { args: [arg(args.slice(0, cut), at, 0, cut), arg(args.slice(rest), at, rest, end), arg('', at, end, end)], json: false };
}

// HEALTHCHECK: the type word (CMD, NONE, ...) then the command as RUN would take it. Like
// the flags, BuildKit finds the word's end byte by byte: ASCII whitespace only.
const health: ArgParser = (args, escape, at) => {
  if (args === '') return { args: [], json: false };
  let sep = 0;
  while (sep < args.length && !isAsciiSpace(args.charCodeAt(sep))) sep++;
  let next = sep;
  while (next < args.length && isAsciiSpace(args.charCodeAt(next))) next++;
  const shifted: ArgPlacer = { range: (start, end) => at.range(start + next, end + next) };
  let command: ParsedArgs;
  try {
    command = maybeJSON(args.slice(next), escape, shifted);
  } catch (err) {
    if (err instanceof ArgsError) throw new ArgsError(err.message, err.start + next, err.end + next, err.hint);
    throw err;
  }
  return { args: [arg(args.slice(0, sep), at, 0, sep), ...command.args], json: command.json };
};

const dispatch = new Map<string, ArgParser>([
  ['add', maybeJSONToList], ['copy', maybeJSONToList], ['volume', maybeJSONToList],
  ['run', maybeJSON], ['cmd', maybeJSON], ['entrypoint', maybeJSON], ['shell', maybeJSON],
  ['from', whitespaceList], ['expose', whitespaceList],
  ['user', singleString], ['workdir', singleString], ['maintainer', singleString], ['stopsignal', singleString],
  ['env', nameValue('ENV')], ['label', nameValue('LABEL')], ['arg', words], ['healthcheck', health],
]);

/**
 * BuildKit's parseWords: split on whitespace outside quotes, keeping quotes and escapes in
 * the words. Every word is a contiguous slice of `args` (only a final escape is dropped), so
 * the result is flat [start, end, start, end, ...] offsets.
 */
export function splitWords(args: string, escape: string): number[] {
  const out: number[] = [];
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
        if (pos + 1 === args.length) end = pos;
        else pos++;
      }
      pos++;
    }
    if (end < 0) end = pos;
    if (end > start) out.push(start, end);
  }
  return out;
}

/**
 * A JSON array of strings, or undefined when the text is not a JSON array (then it is shell
 * form). An array holding anything but strings is an error, as in BuildKit. Each element's
 * range is its string literal, quotes included.
 */
export function parseJSON(args: string, at: ArgPlacer): ParsedArgs | undefined {
  if (args.charCodeAt(0) !== 0x5b) return undefined;
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
  const out: ArgNode[] = [];
  let pos = args.indexOf('"');
  for (const value of parsed as string[]) {
    let end = pos + 1;
    while (end < args.length && args.charCodeAt(end) !== 0x22) end += args.charCodeAt(end) === 0x5c ? 2 : 1;
    out.push(arg(wellFormed(value), at, pos, end + 1));
    pos = args.indexOf('"', end + 1);
  }
  return { args: exact(out), json: true };
}

/** unicode.IsSpace of a single byte below 0x80: what BuildKit's byte loops see as a space. */
function isAsciiSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
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
