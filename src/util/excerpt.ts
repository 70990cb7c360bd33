// The source excerpt under a located message: the line with its number in a gutter, and
// carets under the range. Located errors and build-check warnings share it, so both look
// alike in a terminal.
import type { Range } from './errors.js';

/**
 * Shows only the first physical line of the range; a multi-line range is underlined to the
 * end of that line. Tabs are kept so the caret lines up in a terminal.
 */
export function sourceExcerpt(lineText: string, range: Range): string[] {
  const text = lineText.split('\n')[0] ?? '';
  const { start, end } = range;
  const gutter = String(start.line);
  const pad = ' '.repeat(gutter.length);
  const from = Math.max(0, start.column - 1);
  const until = end.line === start.line ? Math.max(from + 1, end.column - 1) : Math.max(from + 1, text.length);
  const lead = text.slice(0, from).replace(/[^\t]/g, ' ');
  const marks = '^'.repeat(Math.max(1, Math.min(until, Math.max(text.length, from + 1)) - from));
  return [` ${gutter} | ${text}`, ` ${pad} | ${lead}${marks}`];
}
