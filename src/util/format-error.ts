// Renders a KilnError for a person: one headline, then for located errors the offending
// source line with a caret under the range, then the hint. Golden files pin this format.
import { KilnError, type SourceLocation } from './errors.js';

export function formatError(err: KilnError): string {
  const src = err.details.source;
  const lines: string[] = [];
  lines.push(src ? `${locationPrefix(src)}: ${err.message}` : err.message);
  if (src?.text !== undefined) lines.push(...caretBlock(src));
  if (err.hint) lines.push(`hint: ${err.hint}`);
  return lines.join('\n');
}

function locationPrefix(src: SourceLocation): string {
  return `${src.file}:${src.range.start.line}:${src.range.start.column}`;
}

// Shows only the first physical line of the range; a multi-line range is underlined to the
// end of that line. Tabs are kept so the caret lines up in a terminal.
function caretBlock(src: SourceLocation): string[] {
  const text = (src.text ?? '').split('\n')[0] ?? '';
  const { start, end } = src.range;
  const gutter = String(start.line);
  const pad = ' '.repeat(gutter.length);
  const from = Math.max(0, start.column - 1);
  const until = end.line === start.line ? Math.max(from + 1, end.column - 1) : Math.max(from + 1, text.length);
  const lead = text.slice(0, from).replace(/[^\t]/g, ' ');
  const marks = '^'.repeat(Math.max(1, Math.min(until, Math.max(text.length, from + 1)) - from));
  return [` ${gutter} | ${text}`, ` ${pad} | ${lead}${marks}`];
}
