// Asserting on the KilnError a call throws: anything else thrown fails the test as it is.
import assert from 'node:assert/strict';
import { isKilnError, type KilnError } from '../../src/util/errors.js';

export function kilnErrorOf(fn: () => unknown): KilnError {
  try {
    fn();
  } catch (err) {
    if (isKilnError(err)) return err;
    throw err;
  }
  assert.fail('expected a KilnError');
}

/** The KilnError a promise rejects with; a fulfilment or any other rejection fails the test. */
export async function kilnRejection(promise: Promise<unknown>): Promise<KilnError> {
  const err = await promise.then(() => assert.fail('expected a KilnError rejection'), (e: unknown) => e);
  if (isKilnError(err)) return err;
  throw err;
}
