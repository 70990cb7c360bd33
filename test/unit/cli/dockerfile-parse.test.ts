import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runKiln } from '../../helpers/cli.js';

const corpus = fileURLToPath(new URL('../../../../shared/conformance/buildkit-parser/testfiles/', import.meta.url));

test('parse --format buildkit-dump prints exactly BuildKit\'s dump', () => {
  const res = runKiln(['dockerfile', 'parse', '--format', 'buildkit-dump', `${corpus}env/Dockerfile`]);
  assert.equal(res.stderr, '');
  assert.equal(res.status, 0);
  assert.equal(res.stdout, readFileSync(`${corpus}env/result`, 'utf8'));
});

test('parse reads standard input with -', () => {
  const res = runKiln(['dockerfile', 'parse', '--format', 'buildkit-dump', '-'], { input: 'FROM busybox\nRUN echo hi\n' });
  assert.equal(res.status, 0);
  assert.equal(res.stdout, '(from "busybox")\n(run "echo hi")\n');
});

test('parse --format json gives instructions with source ranges', () => {
  const res = runKiln(['dockerfile', 'parse', '-'], { input: 'FROM busybox AS base\n' });
  assert.equal(res.status, 0);
  const json = JSON.stringify(JSON.parse(res.stdout));
  assert.match(json, /"from"|"FROM"/);
  assert.match(json, /"line":1/);
});

test('a malformed Dockerfile exits 1 with file:line:column, a caret and no stack trace', () => {
  const res = runKiln(['dockerfile', 'parse', '-'], { input: 'FROM busybox\nENV PATH\n' });
  assert.equal(res.status, 1);
  assert.match(res.stderr, /^<stdin>:2:\d+: /);
  assert.match(res.stderr, /\^/);
  assert.doesNotMatch(res.stderr, /\n\s+at /);
});

test('a missing file is a clear error naming it', () => {
  const res = runKiln(['dockerfile', 'parse', 'no/such/Dockerfile']);
  assert.equal(res.status, 1);
  assert.match(res.stderr, /no\/such\/Dockerfile/);
});

test('an unknown flag exits 125 like docker', () => {
  const res = runKiln(['dockerfile', 'parse', '--frmat', 'json']);
  assert.equal(res.status, 125);
  assert.match(res.stderr, /--frmat/);
});

test('a bad --format value names the valid choices', () => {
  const res = runKiln(['dockerfile', 'parse', '--format', 'yaml', '-'], { input: 'FROM a\n' });
  assert.equal(res.status, 125);
  assert.match(res.stderr, /buildkit-dump/);
});
