// Renders a KilnError for a person: one headline, then for located errors the offending
// source line with a caret under the range, then the hint. Golden files pin this format.
import { KilnError, type SourceLocation } from './errors.js';
import { sourceExcerpt } from './excerpt.js';

export function formatError(err: KilnError): string {
  const src = err.details.source;
  const lines: string[] = [];
  lines.push(src ? `${locationPrefix(src)}: ${err.message}` : err.message);
  if (src?.text !== undefined) lines.push(...sourceExcerpt(src.text, src.range));
  if (err.hint) lines.push(`hint: ${err.hint}`);
  return lines.join('\n');
}

function locationPrefix(src: SourceLocation): string {
  return `${src.file}:${src.range.start.line}:${src.range.start.column}`;
}
