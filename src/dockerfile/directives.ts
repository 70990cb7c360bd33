// Parser directives (`# syntax=`, `# escape=`, `# check=`) from the head of the file.
//
// BuildKit reads them three slightly different ways and kiln keeps all three, because each
// decides something different:
// - the parser proper (escape, and every error): lines are left-trimmed, the leading run of
//   `#name=value` lines with a known name are directives, a repeated name or a bad escape
//   token is an error, and the first other line (blank, comment, instruction, shebang) ends it;
// - syntax detection: the same on untrimmed lines after skipping a `#!` first line, then
//   the same again with `//` instead of `#`, then the whole file as a JSON object;
// - the `check` directive: the `#` form after skipping a `#!` first line.
// Directive lines are comments: the parser skips them and keeps them out of prevComment.
import { sourceError, type Range } from '../util/errors.js';
import type { Directive } from './ast.js';
import { goToLower, isGoSpace, skipGoSpace } from './gostring.js';
import { stripTrailingCR, type EscapeToken } from './lexer.js';

export interface DirectiveHead {
  directives: Directive[];
  escape: EscapeToken;
  /** How many leading lines the parser treats as directive lines. */
  lineCount: number;
}

type Name = Directive['name'];

interface Match {
  name: string;
  value: string;
  /** Column (0-based) of the comment marker. */
  at: number;
}

// Go's \s is [\t\n\f\r ] and `.` stops only at \n.
const directiveShape = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*([^\n]+?)[\t\n\f\r ]*$/;
const knownNames: ReadonlySet<string> = new Set<Name>(['syntax', 'escape', 'check']);

/** Reads the directives of `source` (BOM already removed). Throws on a bad directive. */
export function readDirectives(source: string, file: string): DirectiveHead {
  const lines = headLines(source);
  const { escape, lineCount } = parserDirectives(lines, file);
  const found: Directive[] = [];
  if (escape.directive) found.push(escape.directive);
  const syntax = detectSyntax(source, lines);
  if (syntax) found.push(syntax);
  const check = scan(lines, '#', shebangSkip(lines)).get('check');
  if (check) found.push(check);
  found.sort((a, b) => a.range.start.line - b.range.start.line);
  return { directives: found, escape: escape.token, lineCount };
}

// Directives are a few lines at the top (a shebang, three names, the line that ends them):
// the rest of the file is never split here.
function headLines(source: string): string[] {
  const lines: string[] = [];
  let from = 0;
  while (from <= source.length && lines.length < 8) {
    const nl = source.indexOf('\n', from);
    const end = nl < 0 ? source.length : nl;
    lines.push(stripTrailingCR(source.slice(from, end)));
    if (nl < 0) break;
    from = nl + 1;
  }
  return lines;
}

function parserDirectives(lines: string[], file: string) {
  const seen = new Set<string>();
  let token: EscapeToken = '\\';
  let directive: Directive | undefined;
  let index = 0;
  for (; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const match = matchDirective(line, skipGoSpace(line, 0, line.length), '#');
    if (!match) break;
    const range = directiveRange(index + 1, match, line);
    if (seen.has(match.name)) {
      throw sourceError(`only one ${match.name} parser directive can be used`, { file, range, text: line },
        `remove the repeated # ${match.name}= line`);
    }
    seen.add(match.name);
    if (match.name === 'escape') {
      if (match.value !== '\\' && match.value !== '`') {
        throw sourceError(`invalid escape token '${match.value}': it must be \\ or \``, { file, range, text: line },
          'write # escape=\\ (the default) or # escape=` (common for Windows paths)');
      }
      token = match.value;
      directive = { name: 'escape', value: match.value, range };
    }
  }
  return { escape: { token, directive }, lineCount: index };
}

function matchDirective(line: string, at: number, marker: string): Match | undefined {
  if (!line.startsWith(marker, at)) return undefined;
  const rest = line.slice(skipGoSpace(line, at + marker.length, line.length));
  const m = directiveShape.exec(rest);
  if (!m) return undefined;
  const name = goToLower(m[1] ?? '');
  return knownNames.has(name) ? { name, value: m[2] ?? '', at } : undefined;
}

function directiveRange(lineNumber: number, match: Match, line: string): Range {
  let end = line.length;
  while (end > match.at && isGoSpace(line.charCodeAt(end - 1))) end--;
  return { start: { line: lineNumber, column: match.at + 1 }, end: { line: lineNumber, column: end + 1 } };
}

function shebangSkip(lines: string[]): number {
  return lines[0]?.startsWith('#!') ? 1 : 0;
}

// BuildKit's DirectiveParser.ParseAll on untrimmed lines: stops at the first line that is not
// a known directive; a repeated name stops it too, keeping the first.
function scan(lines: string[], marker: string, from: number): Map<string, Directive> {
  const found = new Map<string, Directive>();
  for (let index = from; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const match = matchDirective(line, 0, marker);
    if (!match || found.has(match.name)) break;
    found.set(match.name, { name: match.name as Name, value: match.value, range: directiveRange(index + 1, match, line) });
  }
  return found;
}

function detectSyntax(source: string, lines: string[]): Directive | undefined {
  const skip = shebangSkip(lines);
  const found = scan(lines, '#', skip).get('syntax') ?? scan(lines, '//', skip).get('syntax');
  return found ?? jsonSyntax(source, skip);
}

// `{"syntax": "..."}` as the whole file (after a shebang line), for JSON-based frontends.
function jsonSyntax(source: string, skip: number): Directive | undefined {
  const body = skip === 0 ? source : source.slice(source.indexOf('\n') + 1);
  if (body.charCodeAt(skipGoSpace(body, 0, body.length)) !== 0x7b) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const value = (parsed as Record<string, unknown>)['syntax'];
  if (typeof value !== 'string') return undefined;
  const line = skip + 1;
  const first = body.split('\n', 1)[0] ?? '';
  return { name: 'syntax', value, range: { start: { line, column: 1 }, end: { line, column: first.length + 1 } } };
}
