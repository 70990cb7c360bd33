// Joining physical lines into one logical line, BuildKit's way: the first line loses its
// leading whitespace, a line continuation (escape character plus trailing spaces/tabs) is
// cut off, the following lines are appended as they are (indentation kept, no separator),
// and comment or blank lines met on the way are skipped. A segment table remembers where
// each piece came from so that any offset in the joined text maps back to line and column.
// Heredoc bodies are read here too: they are the lines that follow a logical line, taken
// verbatim, each up to a line equal to its delimiter (leading tabs dropped for `<<-`).
import type { KilnError, Position, Range } from '../util/errors.js';
import type { Heredoc } from './ast.js';
import { goTrimSpace, skipGoSpace } from './gostring.js';
import type { HeredocMarker } from './heredoc.js';
import { stripTrailingCR, type LineReader, type PhysicalLine } from './lexer.js';

export class LogicalLine {
  constructor(
    /** The joined text (BuildKit's `Original`). */
    readonly text: string,
    /**
     * Where the pieces of `text` came from: flattened triples (offset in `text`, line,
     * column), or undefined when the text is one piece starting at `startColumn`.
     */
    private readonly segments: readonly number[] | undefined,
    /** First physical line (BuildKit's StartLine). */
    readonly startLine: number,
    private readonly startColumn: number,
    /** Last physical line consumed so far; heredoc bodies move it on. */
    public endLine: number,
    /** First blank line skipped inside the continuation, if any (NoEmptyContinuation). */
    readonly emptyContinuationLine: number | undefined,
    private readonly reader: LineReader,
  ) {}

  /** The position of the character at `offset` (or just after the text for its length). */
  position(offset: number): Position {
    const segs = this.segments;
    if (segs === undefined) return { line: this.startLine, column: this.startColumn + offset };
    const at = segmentAt(segs, offset);
    return { line: segs[at + 1] ?? 1, column: (segs[at + 2] ?? 1) + offset - (segs[at] ?? 0) };
  }

  /** The position just after the character at `end - 1`: an exclusive end stays on its piece's line. */
  endOf(end: number): Position {
    const segs = this.segments;
    if (segs === undefined || end <= 0) return this.position(end);
    const at = segmentAt(segs, end - 1);
    return { line: segs[at + 1] ?? 1, column: (segs[at + 2] ?? 1) + end - (segs[at] ?? 0) };
  }

  /** The range of `text[start:end]`. */
  range(start: number, end: number): Range {
    const from = this.position(start);
    return { start: from, end: end <= start ? { line: from.line, column: from.column } : this.endOf(end) };
  }

  /** A located error for `text[start:end]`. */
  error(start: number, end: number, message: string, hint?: string): KilnError {
    return this.reader.error(this.range(start, end), message, hint);
  }

  /** The position just after the last physical line consumed. */
  endPosition(): Position {
    const text = this.reader.lines[this.endLine - 1] ?? '';
    return { line: this.endLine, column: text.length + 1 };
  }
}

function segmentAt(segs: readonly number[], offset: number): number {
  let lo = 0;
  let hi = segs.length / 3 - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((segs[mid * 3] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo * 3;
}

/**
 * Reads the logical line that starts with `first` (a `text` or `continued` line), pulling
 * continuation lines from the reader. Ends at a line without continuation or at end of file.
 */
export function readLogicalLine(first: PhysicalLine, reader: LineReader, escape: string): LogicalLine {
  // `first` is the reader's line object, which the next read overwrites.
  const startLine = first.number;
  const firstBody = bodyOf(first, escape);
  const indent = skipGoSpace(firstBody, 0, firstBody.length);
  const text = indent === 0 ? firstBody : firstBody.slice(indent);
  if (first.kind !== 'continued') return new LogicalLine(text, undefined, startLine, indent + 1, startLine, undefined, reader);
  const segments: number[] = text === '' ? [] : [0, startLine, indent + 1];
  const pieces = [text];
  let length = text.length;
  let endLine = startLine;
  let emptyLine: number | undefined;
  for (let line = reader.next(); line !== undefined; line = reader.next()) {
    endLine = line.number;
    if (line.kind === 'comment') continue;
    if (line.kind === 'empty' || line.kind === 'blank') {
      emptyLine ??= line.number;
      continue;
    }
    const body = bodyOf(line, escape);
    if (body !== '') {
      segments.push(length, line.number, 1);
      pieces.push(body);
      length += body.length;
    }
    if (line.kind !== 'continued') break;
  }
  if (segments.length === 0) segments.push(0, startLine, 1);
  return new LogicalLine(pieces.join(''), segments, startLine, indent + 1, endLine, emptyLine, reader);
}

// A continued line loses its final escape character and what follows it (the character
// before is kept: BuildKit's `([^\\])\\[ \t]*$` -> `$1`); any other line loses trailing CRs.
function bodyOf(line: PhysicalLine, escape: string): string {
  if (line.kind === 'continued') return line.raw.slice(0, line.raw.lastIndexOf(escape));
  return stripTrailingCR(line.raw);
}

/**
 * Reads the body of each marker from the lines after the logical line. Each body line keeps
 * its line ending as written (CRLF stays CRLF, as in BuildKit); `<<-` drops leading tabs
 * from body lines, as the AST contract asks. Moves `line.endLine` to the last terminator.
 */
export function readHeredocBodies(markers: HeredocMarker[], line: LogicalLine, reader: LineReader): Heredoc[] {
  return markers.map((marker) => {
    const body: string[] = [];
    for (let next = reader.next(); next !== undefined; next = reader.next()) {
      line.endLine = next.number;
      const content = reader.lines[next.number - 1] ?? '';
      if ((marker.chomp ? stripTabs(content) : content) === marker.name) {
        return {
          name: marker.name,
          content: body.join(''),
          expand: marker.expand,
          chomp: marker.chomp,
          fileDescriptor: marker.fileDescriptor,
          range: { start: line.position(marker.start), end: line.endPosition() },
        };
      }
      const raw = marker.chomp ? stripTabs(next.raw) : next.raw;
      body.push(next.terminated ? `${raw}\n` : raw);
    }
    throw line.error(marker.start, marker.end, `unterminated heredoc: no line ${JSON.stringify(marker.name)} ends the heredoc started here`,
      unterminatedHint(marker, body));
  });
}

function unterminatedHint(marker: HeredocMarker, body: string[]): string {
  const near = body.some((text) => goTrimSpace(text) === marker.name);
  const tabs = marker.chomp ? ' (leading tabs allowed)' : '';
  if (!near) return `end the heredoc with a line holding only ${marker.name}${tabs}`;
  return `a line holding ${marker.name} with spaces around it does not end the heredoc: the delimiter must be the whole line${tabs}`;
}

function stripTabs(text: string): string {
  let i = 0;
  while (text.charCodeAt(i) === 9) i++;
  return i === 0 ? text : text.slice(i);
}
