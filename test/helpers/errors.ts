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
