// A failed step as BuildKit's clients print it after the progress: the step's name and last
// output lines between dashes, then its Dockerfile lines with the instruction marked `>>>`
// (BuildKit's errdefs.Source.Print: a window of lines around the range, headed by the file
// and the instruction's first line).
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { KilnError, type Range } from '../../../util/errors.js';

/** The block of a failed step: its name and the last lines it printed. */
export function failedStepLogs(name: string, lines: readonly string[]): string[] {
  return ['------', ` > ${name}:`, ...lines, '------'];
}

/** The Dockerfile lines of `range` in `text`, with BuildKit's padding; empty when out of range. */
export function dockerfileExcerpt(file: string, text: string, range: Range): string[] {
  const lines = text.split('\n');
  const first = range.start.line;
  const last = Math.min(Math.max(range.end.line, first), lines.length);
  if (first < 1 || first > lines.length) return [];
  // Two lines of context around a multi-line instruction, four around a single line, taken
  // alternately above and below while there are any (a side that has none gives no line).
  const pad = last === first ? 4 : 2;
  let start = first;
  let end = last;
  for (let counted = 0; counted < pad; counted++) {
    if (start > 1) {
      start--;
      counted++;
    }
    if (end !== lines.length) {
      end++;
      counted++;
    }
  }
  const out = [`${basename(file)}:${first}`, '-'.repeat(20)];
  for (let line = start; line <= end; line++) {
    const marker = line >= first && line <= last ? '>>>' : '   ';
    out.push(` ${String(line).padStart(3)} | ${marker} ${lines[line - 1] ?? ''}`);
  }
  out.push('-'.repeat(20));
  return out;
}

/**
 * Prints what a failed step's error carries (its vertex named by progress, its output lines, its
 * Dockerfile lines, read where the daemon read them) and gives the error to report last, as
 * BuildKit's `failed to solve: ...` with the hint naming the step's full log. Other errors (a
 * Dockerfile that does not parse, a cancelled build) pass unchanged.
 */
export async function reportFailedStep(err: unknown, names: ReadonlyMap<string, string>, write: (line: string) => void): Promise<unknown> {
  if (!(err instanceof KilnError) || err.details.vertex === undefined || err.code === 'CANCELED') return err;
  const { vertex, log, source } = err.details;
  for (const line of failedStepLogs(names.get(vertex) ?? vertex, log ?? [])) write(line);
  const text = source === undefined ? undefined : await readFile(source.file, 'utf8').catch(() => undefined);
  if (source !== undefined && text !== undefined) for (const line of dockerfileExcerpt(source.file, text, source.range)) write(line);
  return new KilnError(err.code, `failed to solve: ${err.message}`, { ...(err.hint === undefined ? {} : { hint: err.hint }), details: { vertex } });
}
