// Symbolic --chmod as chmod(1) reads it: classes, the three operators, X, copies of a class's
// bits, and the special bits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applySymbolicMode } from '../../../src/ops/symbolic-mode.js';

test('applies each clause in order to the entry\'s own mode', () => {
  const cases: [string, number, boolean, number][] = [
    ['u+x', 0o644, false, 0o744],
    ['u+x,g-w', 0o664, false, 0o744],
    ['go-rwx', 0o755, true, 0o700],
    ['a=r', 0o777, false, 0o444],
    ['+x', 0o600, false, 0o711],
    ['=rw,+X', 0o700, false, 0o666],
    ['a+X', 0o644, true, 0o755],
    ['a+X', 0o644, false, 0o644],
    ['a+X', 0o744, false, 0o755],
    ['g=u', 0o640, false, 0o660],
    ['o=g-w', 0o670, false, 0o675],
    ['u+s,g+s', 0o755, false, 0o6755],
    ['o+t', 0o777, true, 0o1777],
    ['o+s', 0o755, false, 0o755],
    ['u=rwx,g=rx,o=', 0o666, false, 0o750],
  ];
  for (const [spec, mode, isDir, want] of cases) {
    assert.equal(applySymbolicMode(spec, mode, isDir).toString(8), want.toString(8), `${spec} on ${mode.toString(8)}${isDir ? ' (dir)' : ''}`);
  }
});

test('refuses what is not a symbolic mode', () => {
  assert.throws(() => applySymbolicMode('u+q', 0o644, false), /invalid symbolic mode "u\+q"/);
  assert.throws(() => applySymbolicMode('u', 0o644, false), /invalid symbolic mode/);
});
