// The Dockerfile parser: physical lines from the lexer are joined into logical lines, each
// becomes an instruction node in BuildKit's shape (keyword, flags, arguments, ONBUILD child,
// heredocs), and every piece carries its source range. The rules are BuildKit's parser
// (FORMAT.md in the conformance corpus); the only errors are malformed input, always located.
import type { DockerfileAST, Flag, InstructionNode, ParseOptions, ParseWarning } from './ast.js';
import { readHeredocBodies, readLogicalLine, RecentRanges, type LogicalLine } from './continuation.js';
import { readDirectives } from './directives.js';
import { goToLower, goTrimSpace } from './gostring.js';
import { findHeredocs } from './heredoc.js';
import { LineReader, type EscapeToken } from './lexer.js';
import { ArgsError, parseArgs, splitCommand, type Span } from './line-parsers.js';

const heredocInstructions: ReadonlySet<string> = new Set(['run', 'copy', 'add']);

export function parseDockerfile(text: string, options: ParseOptions = {}): DockerfileAST {
  const file = options.file ?? 'Dockerfile';
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const head = readDirectives(source, file);
  const reader = new LineReader(source, head.escape, file);
  const instructions: InstructionNode[] = [];
  const warnings: ParseWarning[] = [];
  const recent = new RecentRanges();
  let comments: string[] = [];
  let startLine = 0;
  let endLine = 0;
  for (let line = reader.next(); line !== undefined; line = reader.next()) {
    if (line.kind === 'comment') {
      if (line.number > head.lineCount) comments = withComment(comments, line.raw);
      continue;
    }
    if (line.kind === 'empty' || line.kind === 'blank') continue;
    const logical = readLogicalLine(line, reader, head.escape, recent);
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
  node.range.end = line.endPosition();
  if (node.child) node.child.range.end = { ...node.range.end };
  return node;
}

/** BuildKit's newNodeFromLine on `line.text[from:to]`; undefined when that text is blank. */
function nodeFrom(line: LogicalLine, from: number, to: number, comments: string[], escape: EscapeToken): InstructionNode | undefined {
  const split = splitCommand(line.text, from, to, escape);
  const { keyword, args } = split;
  if (keyword.value === '') return undefined;
  const keywordRange = line.range(keyword.start, keyword.end);
  const node: InstructionNode = {
    keyword: keyword.value,
    name: goToLower(keyword.value),
    keywordRange,
    flags: split.flags.map((flag) => flagOf(flag, line)),
    args: [],
    json: false,
    argsText: args.value,
    argsRange: line.range(args.start, args.end),
    heredocs: [],
    original: from === 0 && to === line.text.length ? line.text : line.text.slice(from, to),
    prevComment: comments,
    range: { start: keywordRange.start, end: keywordRange.end },
  };
  if (node.name === 'onbuild') {
    const child = args.value === '' ? undefined : nodeFrom(line, args.start, args.end, [], escape);
    if (child) node.child = child;
    return node;
  }
  try {
    const parsed = parseArgs(node.name, args.value, escape);
    node.json = parsed.json;
    node.args = parsed.args.map((arg) => ({ value: arg.value, range: line.range(args.start + arg.start, args.start + arg.end) }));
  } catch (err) {
    if (!(err instanceof ArgsError)) throw err;
    throw line.error(args.start + err.start, args.start + err.end, err.message, err.hint);
  }
  return node;
}

function flagOf(flag: Span, line: LogicalLine): Flag {
  const eq = flag.value.indexOf('=');
  return {
    text: flag.value,
    name: flag.value.slice(2, eq < 0 ? undefined : eq),
    value: eq < 0 ? undefined : flag.value.slice(eq + 1),
    range: line.range(flag.start, flag.end),
  };
}
