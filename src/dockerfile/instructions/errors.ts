// Located errors for the instruction layer: every complaint about a Dockerfile names the
// file, the range and the physical line so that formatError() can draw a caret under it.
import { KilnError, sourceError, type SourceLocation } from '../../util/errors.js';
import type { DockerfileAST, Range } from '../ast.js';

/** What an error needs to quote the source: the display name and the physical lines. */
export interface SourceText {
  file: string;
  lines: readonly string[];
}

export function sourceOf(ast: DockerfileAST): SourceText {
  return { file: ast.file, lines: ast.lines };
}

export function locate(src: SourceText, range: Range): SourceLocation {
  return { file: src.file, range, text: src.lines[range.start.line - 1] ?? '' };
}

export function errorAt(src: SourceText, range: Range, message: string, hint?: string): KilnError {
  return sourceError(message, locate(src, range), hint);
}

/**
 * Gives an error that is not located yet (e.g. from word expansion) the location of the
 * instruction it came from; an already located error is left as it is.
 */
export function withLocation(err: unknown, src: SourceText, range: Range): unknown {
  if (!(err instanceof KilnError) || err.details.source !== undefined) return err;
  return new KilnError(err.code, err.message, {
    hint: err.hint,
    details: { ...err.details, source: locate(src, range) },
    cause: err.cause,
  });
}
