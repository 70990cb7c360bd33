// SOURCE_DATE_EPOCH (reproducible-builds.org), as BuildKit takes it: a build argument of that
// name, which buildx fills from the client's environment, in whole seconds since 1970.
import { KilnError } from '../../util/errors.js';

export const sourceDateEpochArg = 'SOURCE_DATE_EPOCH';

/** The build's epoch, or undefined when the argument is absent or empty. */
export function sourceDateEpochOf(buildArgs: Record<string, string | undefined> | undefined): Date | undefined {
  const text = buildArgs?.[sourceDateEpochArg];
  if (text === undefined || text === '') return undefined;
  const seconds = /^\d{1,12}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(seconds)) {
    throw new KilnError('INVALID_ARGUMENT', `invalid SOURCE_DATE_EPOCH ${JSON.stringify(text)}: expected whole seconds since 1970`, { details: { flag: '--build-arg' } });
  }
  return new Date(seconds * 1000);
}
