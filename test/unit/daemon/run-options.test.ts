// The shape check at the edge of the run route: a well-formed body passes as is, anything else
// is refused with a 400-class error that names the field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRunOptions } from '../../../src/daemon/server/run-options.js';
import { KilnError } from '../../../src/util/errors.js';

function refused(body: unknown, message: RegExp): void {
  assert.throws(() => parseRunOptions(body), (err: unknown) => err instanceof KilnError && err.code === 'INVALID_ARGUMENT' && message.test(err.message));
}

describe('run request bodies', () => {
  it('passes the options the CLI builds', () => {
    const body = { image: 'busybox:1', args: ['true'], env: ['A=1'], envFile: [], network: 'none', autoRemove: true, interactive: false, memory: '64m' };
    assert.deepEqual(parseRunOptions(body), body);
  });

  it('refuses non-objects, missing fields, unknown fields and wrong types', () => {
    refused([], /JSON object/);
    refused(null, /JSON object/);
    refused({ args: [] }, /"image" is required/);
    refused({ image: 'x' }, /"args" is required/);
    refused({ image: 'x', args: [], privileged: true }, /unknown field "privileged"/);
    refused({ image: 'x', args: [1] }, /"args" must be an array of strings/);
    refused({ image: 'x', args: [], autoRemove: 'yes' }, /"autoRemove" must be a boolean/);
  });

  it('keeps terminals in the CLI for now', () => {
    refused({ image: 'x', args: [], tty: true }, /"tty" is not supported/);
  });
});
