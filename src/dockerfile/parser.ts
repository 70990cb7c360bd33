// The Dockerfile parser: physical lines from the lexer are joined into logical lines, each
// becomes an instruction node in BuildKit's shape (keyword, flags, arguments, ONBUILD child,
// heredocs), and every piece carries its source range. The rules are BuildKit's parser
// (FORMAT.md in the conformance corpus); the only errors are malformed input, always located.
import type { DockerfileAST, Flag, InstructionNode, ParseOptions, ParseWarning, Position, Range } from './ast.js';
import { readHeredocBodies, readLogicalLine, type LogicalLine } from './continuation.js';
import { readDirectives } from './directives.js';
import { goToLower, goTrimSpace } from './gostring.js';
import { findHeredocs } from './heredoc.js';
import { LineReader, type EscapeToken } from './lexer.js';
import { ArgsError, parseArgs, splitCommand, type ArgPlacer, type FlagWord, type ParsedArgs } from './line-parsers.js';

const heredocInstructions: ReadonlySet<string> = new Set(['run', 'copy', 'add']);

export function parseDockerfile(text: string, options: ParseOptions = {}): DockerfileAST {
  const file = options.file ?? 'Dockerfile';
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const head = readDirectives(source, file);
  const reader = new LineReader(source, head.escape, file);
  const instructions: InstructionNode[] = [];
  const warnings: ParseWarning[] = [];
  let comments: string[] = [];
  let startLine = 0;
  let endLine = 0;
  for (let line = reader.next(); line !== undefined; line = reader.next()) {
    if (line.kind === 'comment') {
      if (line.number > head.lineCount) comments = withComment(comments, line.raw);
      continue;
    }
    if (line.kind === 'empty' || line.kind === 'blank') continue;
    const logical = readLogicalLine(line, reader, head.escape);
    if (logical.emptyContinuationLine !== undefined) warnings.push(emptyContinuation(logical.emptyContinuationLine, reader.lines));
    const node = instructionOf(logical, reader, comments, head.escape);
    // A logical line can end up empty (only escape characters before end of file): nothing to keep.
    if (node === undefined) continue;
    instructions.push(node);
    comments = [];
    if (startLine === 0) startLine = logical.startLine;
    endLine = logical.endLine;
  }
  if (instructions.length === 0) {
    const range = { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } };
    throw reader.error(range, 'file with no instructions', 'a Dockerfile needs at least one instruction, usually starting with FROM <image>');
  }
  return { file, lines: reader.lines, directives: head.directives, escapeToken: head.escape, instructions, warnings, startLine, endLine };
}

// BuildKit keeps the comment lines above an instruction, minus the first character, trimmed
// (so `  # x` gives `# x`); an empty comment line forgets the ones before it.
function withComment(comments: string[], raw: string): string[] {
  const comment = goTrimSpace(raw.slice(1));
  if (comment === '') return [];
  comments.push(comment);
  return comments;
}

function emptyContinuation(lineNumber: number, lines: readonly string[]): ParseWarning {
  const column = (lines[lineNumber - 1] ?? '').length + 1;
  return {
    rule: 'NoEmptyContinuation',
    message: 'Empty continuation line',
    range: { start: { line: lineNumber, column: 1 }, end: { line: lineNumber, column } },
  };
}

function instructionOf(line: LogicalLine, reader: LineReader, comments: string[], escape: EscapeToken): InstructionNode | undefined {
  const node = nodeFrom(line, 0, line.text.length, comments, escape);
  if (node === undefined) return undefined;
  const target = node.name === 'onbuild' ? node.child : node;
  if (target && heredocInstructions.has(target.name) && !target.json && line.text.includes('<<')) {
    node.heredocs = readHeredocBodies(findHeredocs(line), line, reader);
  }
  node.range.end = sharedEnd(line.endPosition(), node.child?.argsRange ?? node.argsRange);
  if (node.child) node.child.range.end = node.range.end;
  return node;
}

/** BuildKit's newNodeFromLine on `line.text[from:to]`; undefined when that text is blank. */
function nodeFrom(line: LogicalLine, from: number, to: number, comments: string[], escape: EscapeToken): InstructionNode | undefined {
  const { text } = line;
  const split = splitCommand(text, from, to, escape);
  if (split.keywordEnd === split.keywordStart) return undefined;
  const spelling = keywordSpelling(text.slice(split.keywordStart, split.keywordEnd));
  const keywordRange = line.range(split.keywordStart, split.keywordEnd);
  const argsText = text.slice(split.argsStart, split.argsEnd);
  const argsRange = line.range(split.argsStart, split.argsEnd);
  const isOnbuild = spelling.name === 'onbuild';
  const parsed = isOnbuild ? { args: [], json: false } : argumentsOf(spelling.name, argsText, escape, new Placement(line, split.argsStart, argsRange, argsText.length));
  const node: InstructionNode = {
    keyword: spelling.keyword,
    name: spelling.name,
    keywordRange,
    flags: split.flags.length === 0 ? [] : split.flags.map((flag) => flagOf(flag, line)),
    args: parsed.args,
    json: parsed.json,
    argsText,
    argsRange,
    heredocs: [],
    original: from === 0 && to === text.length ? text : text.slice(from, to),
    prevComment: comments,
    range: { start: keywordRange.start, end: keywordRange.end },
  };
  const child = isOnbuild && argsText !== '' ? nodeFrom(line, split.argsStart, split.argsEnd, [], escape) : undefined;
  if (child) node.child = child;
  return node;
}

function argumentsOf(name: string, argsText: string, escape: EscapeToken, at: Placement): ParsedArgs {
  try {
    return parseArgs(name, argsText, escape, at);
  } catch (err) {
    if (!(err instanceof ArgsError)) throw err;
    throw at.line.error(at.base + err.start, at.base + err.end, err.message, err.hint);
  }
}

// Ranges are immutable values, so an argument that is all of the arguments (shell-form RUN,
// WORKDIR, ...) shares their range object, and an instruction that ends where its arguments
// end shares that position: a large file's AST stays smaller, and its size is most of the
// parse time.
class Placement implements ArgPlacer {
  constructor(
    readonly line: LogicalLine,
    readonly base: number,
    private readonly whole: Range,
    private readonly length: number,
  ) {}

  range(start: number, end: number): Range {
    const { whole, length } = this;
    if (start === 0 && end === length) return whole;
    const from = start === 0 ? whole.start : this.line.position(this.base + start);
    const to = end <= start ? { line: from.line, column: from.column } : end === length ? whole.end : this.line.endOf(this.base + end);
    return { start: from, end: to };
  }
}

// The same few keyword spellings recur thousands of times in a large file: one string each
// (and its lower-cased name) is enough. Bounded, since unknown keywords can be anything.
const spellings = new Map<string, { keyword: string; name: string }>();

function keywordSpelling(keyword: string): { keyword: string; name: string } {
  let known = spellings.get(keyword);
  if (known === undefined) {
    known = { keyword, name: goToLower(keyword) };
    if (spellings.size < 256) spellings.set(keyword, known);
  }
  return known;
}

function sharedEnd(end: Position, argsRange: Range): Position {
  return samePosition(end, argsRange.end) ? argsRange.end : end;
}

function samePosition(a: Position, b: Position): boolean {
  return a.line === b.line && a.column === b.column;
}

function flagOf(flag: FlagWord, line: LogicalLine): Flag {
  const eq = flag.text.indexOf('=');
  return {
    text: flag.text,
    name: flag.text.slice(2, eq < 0 ? undefined : eq),
    value: eq < 0 ? undefined : flag.text.slice(eq + 1),
    range: line.range(flag.start, flag.end),
  };
}
