// Where a vertex was written, as a description entry (BuildKit keeps source ranges beside the
// definition, never in a vertex's digest): a failing step's error can then show its Dockerfile
// lines. The entry is JSON of the file and the range; a malformed one is simply no location,
// since descriptions are free-form and only cosmetic.
import type { SourceLocation } from '../util/errors.js';
import { descriptionObject } from './description.js';
import type { VertexMetadata } from './ops.js';

export const sourceLocationKey = 'kiln.source';

/** The description entry that places a vertex at `location` (its text is left out). */
export function sourceLocationDescription(location: SourceLocation): Record<string, string> {
  return { [sourceLocationKey]: JSON.stringify({ file: location.file, range: location.range }) };
}

const isPosition = (value: unknown): value is { line: number; column: number } =>
  typeof value === 'object' && value !== null
  && Number.isInteger((value as Record<string, unknown>).line) && Number.isInteger((value as Record<string, unknown>).column);

/** The location a vertex's metadata gives, if any. */
export function sourceLocationOf(metadata: VertexMetadata | undefined): SourceLocation | undefined {
  const value = descriptionObject(metadata, sourceLocationKey);
  if (value === undefined) return undefined;
  const { file, range } = value;
  if (typeof file !== 'string' || typeof range !== 'object' || range === null) return undefined;
  const { start, end } = range as Record<string, unknown>;
  if (!isPosition(start) || !isPosition(end)) return undefined;
  return { file, range: { start: { line: start.line, column: start.column }, end: { line: end.line, column: end.column } } };
}
