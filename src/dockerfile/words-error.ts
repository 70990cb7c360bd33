import { KilnError } from '../util/errors.js';

/**
 * A word that cannot be expanded: bad quoting, a malformed `${...}`, `${name:?message}` on an
 * unset variable, an invalid pattern. It carries no source location: the caller knows where the
 * word sits in the Dockerfile and adds it.
 */
export class ExpansionError extends KilnError {
  /** UTF-16 index in the input word of the construct at fault (the quote, the `$`...), if known. */
  readonly offset: number | undefined;

  constructor(message: string, offset?: number) {
    super('INVALID_ARGUMENT', message);
    this.name = 'ExpansionError';
    this.offset = offset;
  }
}
