// `kiln dockerfile check` end to end, in a child process as a user runs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runKiln } from '../../helpers/cli.js';

const fixtures = fileURLToPath(new URL('../../../fixtures/dockerfile/checks/', import.meta.url));

test('check prints each warning with its location and a summary, and exits 1 like docker build --check', () => {
  const res = runKiln(['dockerfile', 'check', '-'], { input: 'FROM alpine\nFROM busybox as base\nCMD ["sh"]\n' });
  assert.equal(res.stderr, '');
  assert.equal(res.status, 1);
  assert.equal(res.stdout, [
    'WARNING: FromAsCasing - https://docs.docker.com/go/dockerfile/rule/from-as-casing/',
    "<stdin>:2:1: 'as' and 'FROM' keywords' casing do not match",
    ' 2 | FROM busybox as base',
    '   | ^^^^^^^^^^^^^^^^^^^^',
    '',
    'Check complete, 1 warning has been found!',
    '',
  ].join('\n'));
});

test('a clean Dockerfile says so', () => {
  const res = runKiln(['dockerfile', 'check', `${fixtures}clean/Dockerfile`]);
  assert.equal(res.status, 0);
  assert.equal(res.stdout, 'Check complete, no warnings found.\n');
});

test('check=error=true with warnings exits 1 and names the rules on stderr', () => {
  const res = runKiln(['dockerfile', 'check', `${fixtures}error-true/Dockerfile`]);
  assert.equal(res.status, 1);
  assert.match(res.stdout, /Check complete, 2 warnings have been found!\n$/);
  assert.match(res.stderr, /^lint violation found for rules: FromAsCasing, JSONArgsRecommended\nhint: /);
});

test('an invalid Dockerfile exits 1 with the located error and no report', () => {
  const res = runKiln(['dockerfile', 'check', '-'], { input: 'FROM alpine\nCOPY\n' });
  assert.equal(res.status, 1);
  assert.equal(res.stdout, '');
  assert.match(res.stderr, /^<stdin>:2:\d+: /);
  assert.doesNotMatch(res.stderr, /\n\s+at /);
});

test('--target limits the dispatched stages; --build-arg feeds the args', () => {
  const input = 'ARG IMAGE\nFROM alpine AS unused\nCMD echo\nFROM $IMAGE AS app\nCMD ["app"]\n';
  const res = runKiln(['dockerfile', 'check', '--target', 'app', '--build-arg', 'IMAGE=alpine', '-'], { input });
  assert.equal(res.status, 1, res.stderr);
  assert.match(res.stdout, /InvalidDefaultArgInFrom/);
  assert.doesNotMatch(res.stdout, /JSONArgsRecommended/);
  const all = runKiln(['dockerfile', 'check', '--build-arg', 'IMAGE=alpine', '-'], { input });
  assert.match(all.stdout, /WARNING: JSONArgsRecommended[^\n]*\n<stdin>:3:1: /);
});

test('an unknown target is a clear error', () => {
  const res = runKiln(['dockerfile', 'check', '--target', 'nope', '-'], { input: 'FROM alpine AS app\n' });
  assert.equal(res.status, 1);
  assert.match(res.stderr, /target stage "nope" could not be found/);
});
