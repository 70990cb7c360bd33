// The shape checks at the edge of the run and exec routes: a well-formed body passes as is,
// anything else is refused with a 400-class error that names the field; a terminal's window
// size in the query is two whole numbers a pty can hold.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseExecRequest } from '../../../src/daemon/server/exec-route.js';
import { parseRunOptions, startWindowSize, windowSizeQuery } from '../../../src/daemon/server/run-options.js';
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

  it('passes a terminal, whose size comes in the query', () => {
    assert.deepEqual(parseRunOptions({ image: 'x', args: [], tty: true, interactive: true }), { image: 'x', args: [], tty: true, interactive: true });
    refused({ image: 'x', args: [], consoleSize: { height: 1, width: 1 } }, /unknown field "consoleSize"/);
  });
});

describe('window sizes in the query', () => {
  const query = (text: string): URLSearchParams => new URLSearchParams(text);
  const invalid = (err: unknown): boolean => err instanceof KilnError && err.code === 'INVALID_ARGUMENT';

  it('reads h and w as rows and columns', () => {
    assert.deepEqual(windowSizeQuery(query('h=40&w=100')), { height: 40, width: 100 });
    assert.deepEqual(startWindowSize(query('h=0&w=65535')), { height: 0, width: 65535 });
    assert.equal(startWindowSize(query('')), undefined);
  });

  it('refuses a missing side, a negative, a fraction and more than a pty holds', () => {
    for (const text of ['h=40', 'w=100', 'h=-1&w=1', 'h=1.5&w=1', 'h=65536&w=1', 'h=&w=1', 'h=1e3&w=1']) {
      assert.throws(() => windowSizeQuery(query(text)), invalid, text);
    }
    assert.throws(() => startWindowSize(query('w=80')), invalid);
  });
});

describe('exec request bodies', () => {
  it('passes the flags the CLI sends', () => {
    const body = { args: ['sh', '-c', 'true'], env: ['A=1'], workingDir: '/tmp', user: 'nobody', tty: true, interactive: false, detach: false };
    assert.deepEqual(parseExecRequest(body), body);
    assert.deepEqual(parseExecRequest({ args: ['true'] }), { args: ['true'] });
  });

  it('refuses non-objects, no command, unknown fields and wrong types', () => {
    const refusedExec = (body: unknown, message: RegExp): void => {
      assert.throws(() => parseExecRequest(body), (err: unknown) => err instanceof KilnError && err.code === 'INVALID_ARGUMENT' && message.test(err.message));
    };
    refusedExec('x', /JSON object/);
    refusedExec({}, /"args" must name the command/);
    refusedExec({ args: [] }, /"args" must name the command/);
    refusedExec({ args: ['true'], privileged: true }, /unknown field "privileged"/);
    refusedExec({ args: ['true'], env: 'A=1' }, /"env" must be an array of strings/);
    refusedExec({ args: ['true'], tty: 'yes' }, /"tty" must be a boolean/);
  });
});
