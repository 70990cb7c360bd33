// How the CLI tells a person that something failed. Build-input and other KilnErrors print
// their formatted message (with location and hint); anything else is a bug in kiln and says so.
import { KilnError } from '../util/errors.js';
import { formatError } from '../util/format-error.js';

/** docker exits 125 when its own flags or arguments are wrong. */
export const USAGE_EXIT_CODE = 125;

export function reportError(err: unknown, debug: boolean): number {
  if (err instanceof KilnError) {
    process.stderr.write(`${formatError(err)}\n`);
    if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`internal error: ${message}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  else process.stderr.write('hint: run again with --debug for details, and report it\n');
  return 1;
}

/** A CLI flag or argument error that names the flag, like docker's "invalid argument ... for --x flag". */
export function flagError(flag: string, message: string, hint?: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `${flag}: ${message}`, { hint, details: { flag } });
}
