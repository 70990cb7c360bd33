// Located errors for what the conversion does not support yet: the message names the flag or
// the source, and the location lets formatError() show the Dockerfile line.
import { sourceError, type KilnError, type Range } from '../../util/errors.js';
import type { BuildPlan } from '../instructions/index.js';

export type SourceText = BuildPlan['parsed']['source'];

export function notImplemented(src: SourceText, range: Range, message: string, hint?: string): KilnError {
  const location = { file: src.file, range, text: src.lines[range.start.line - 1] ?? '' };
  return sourceError(message, location, hint, 'NOT_IMPLEMENTED');
}

export function invalidAt(src: SourceText, range: Range, message: string, hint?: string): KilnError {
  const location = { file: src.file, range, text: src.lines[range.start.line - 1] ?? '' };
  return sourceError(message, location, hint);
}
