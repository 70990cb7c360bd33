// Joining physical lines into one logical line, BuildKit's way: the first line loses its
// leading whitespace, a line continuation (escape character plus trailing spaces/tabs) is
// cut off, the following lines are appended as they are (indentation kept, no separator),
// and comment or blank lines met on the way are skipped. A segment table remembers where
// each piece came from so that any offset in the joined text maps back to line and column.
// Heredoc bodies are read here too: they are the lines that follow a logical line, taken
// verbatim, each up to a line equal to its delimiter (leading tabs dropped for `<<-`).
import type { KilnError, Position, Range } from '../util/errors.js';
import type { Heredoc } from './ast.js';
import { skipGoSpace } from './gostring.js';
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
    private readonly recent: RecentRanges,
  ) {}

  /** The position of the character at `offset` (or just after the text for its length). */
  position(offset: number): Position {
    const segs = this.segments;
    if (segs === undefined) return this.recent.position(this.startLine, this.startColumn + offset);
    const at = segmentAt(segs, offset);
    return this.recent.position(segs[at + 1] ?? 1, (segs[at + 2] ?? 1) + offset - (segs[at] ?? 0));
  }

  /** The range of `text[start:end]`; an end at a piece's end stays on that piece's line. */
  range(start: number, end: number): Range {
    const from = this.position(start);
    if (end <= start) return this.recent.range(from, from);
    const segs = this.segments;
    if (segs === undefined) return this.recent.range(from, this.recent.position(this.startLine, this.startColumn + end));
    const at = segmentAt(segs, end - 1);
    return this.recent.range(from, this.recent.position(segs[at + 1] ?? 1, (segs[at + 2] ?? 1) + end - (segs[at] ?? 0)));
  }

  /** A located error for `text[start:end]`. */
  error(start: number, end: number, message: string, hint?: string): KilnError {
    return this.reader.error(this.range(start, end), message, hint);
  }

  /** The position just after the last physical line consumed. */
  endPosition(): Position {
    const text = this.reader.lines[this.endLine - 1] ?? '';
    return this.recent.position(this.endLine, text.length + 1);
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
 * Neighbouring pieces of an instruction often share a position or a whole range (an
 * argument that is all of the arguments, a key ending where its `=` starts). Handing out the
 * same object keeps the AST of a large file small, and its size is most of the parse time.
 * Only the last few are remembered, so this stays cheap on very long lines.
 */
export class RecentRanges {
  private readonly positions: Position[] = [];
  private readonly ranges: Range[] = [];
  private positionCount = 0;
  private rangeCount = 0;

  position(line: number, column: number): Position {
    const known = this.positions;
    for (let i = 1; i <= 8 && i <= this.positionCount; i++) {
      const p = known[(this.positionCount - i) & 7];
      if (p !== undefined && p.column === column && p.line === line) return p;
    }
    const position = { line, column };
    known[this.positionCount++ & 7] = position;
    return position;
  }

  range(start: Position, end: Position): Range {
    const known = this.ranges;
    for (let i = 1; i <= 8 && i <= this.rangeCount; i++) {
      const r = known[(this.rangeCount - i) & 7];
      if (r !== undefined && r.start === start && r.end === end) return r;
    }
    const range = { start, end };
    known[this.rangeCount++ & 7] = range;
    return range;
  }
}

/**
 * Reads the logical line that starts with `first` (a `text` or `continued` line), pulling
 * continuation lines from the reader. Ends at a line without continuation or at end of file.
 */
export function readLogicalLine(first: PhysicalLine, reader: LineReader, escape: string, recent: RecentRanges): LogicalLine {
  const firstBody = bodyOf(first, escape);
  const indent = skipGoSpace(firstBody, 0, firstBody.length);
  let text = indent === 0 ? firstBody : firstBody.slice(indent);
  let continues = first.kind === 'continued';
  if (!continues) return new LogicalLine(text, undefined, first.number, indent + 1, first.number, undefined, reader, recent);
  const segments: number[] = text === '' ? [] : [0, first.number, indent + 1];
  const pieces = [text];
  let length = text.length;
  let endLine = first.number;
  let emptyLine: number | undefined;
  while (continues) {
    const line = reader.next();
    if (line === undefined) break;
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
    continues = line.kind === 'continued';
  }
  text = pieces.join('');
  return new LogicalLine(text, segments.length === 0 ? [0, first.number, 1] : segments, first.number, indent + 1, endLine, emptyLine, reader, recent);
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
      `end the heredoc with a line holding only ${marker.name}${marker.chomp ? ' (leading tabs allowed)' : ''}`);
  });
}

function stripTabs(text: string): string {
  let i = 0;
  while (text.charCodeAt(i) === 9) i++;
  return i === 0 ? text : text.slice(i);
}
