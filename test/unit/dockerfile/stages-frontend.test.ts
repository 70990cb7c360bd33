// `# syntax=` and BUILDKIT_SYNTAX: the built-in frontend for docker/dockerfile, a clear error
// for anything else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kilnErrorOf } from '../../helpers/errors.js';
import { parseDockerfile } from '../../../src/dockerfile/parser.js';
import { isBuiltinFrontend, planBuild, selectFrontend } from '../../../src/dockerfile/instructions/index.js';
import { formatError } from '../../../src/util/format-error.js';
import type { KilnError } from '../../../src/util/errors.js';

const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;

function select(text: string, buildArgs: Record<string, string> = {}) {
  return selectFrontend(parseDockerfile(text), new Map(Object.entries(buildArgs)));
}

function failure(fn: () => unknown): KilnError {
  return kilnErrorOf(fn);
}

test('every spelling of the Dockerfile frontend selects the built-in one', () => {
  for (const ref of [
    'docker/dockerfile', 'docker/dockerfile:1', 'docker/dockerfile:1.7', 'docker/dockerfile:1.7.1', 'docker/dockerfile:1-labs',
    'docker/dockerfile:1.4-labs', 'docker/dockerfile-upstream:master', 'docker/dockerfile-upstream:master-labs',
    'docker.io/docker/dockerfile:1', 'index.docker.io/docker/dockerfile:1', `docker/dockerfile:1@${digest}`, `docker/dockerfile@${digest}`,
    'dockerfile.v0',
  ]) {
    assert.ok(isBuiltinFrontend(ref), ref);
  }
  for (const ref of ['tonistiigi/dockerfile:1', 'docker/dockerfile:', 'docker/dockerfiles', 'example.com/docker/dockerfile:1', `docker/dockerfile@sha256:abc`]) {
    assert.ok(!isBuiltinFrontend(ref), ref);
  }
});

test('the directive decides when there is no BUILDKIT_SYNTAX', () => {
  assert.deepEqual(select('FROM alpine\n'), { kind: 'builtin', source: 'default', ref: undefined, labs: false });
  assert.deepEqual(select('# syntax=docker/dockerfile:1\nFROM alpine\n'), { kind: 'builtin', source: 'directive', ref: 'docker/dockerfile:1', labs: false });
  assert.equal(select('# syntax=docker/dockerfile:1-labs\nFROM alpine\n').labs, true);
  assert.equal(select('# syntax = docker/dockerfile:1.7 --debug\nFROM alpine\n').ref, 'docker/dockerfile:1.7');
});

test('an external frontend is refused at the directive', () => {
  const err = failure(() => select('# syntax=tonistiigi/dockerfile:runmount\nFROM alpine\n'));
  assert.equal(err.message, 'external frontend images are not supported: tonistiigi/dockerfile:runmount');
  assert.equal(err.details.source?.range.start.line, 1);
  assert.match(formatError(err), /^Dockerfile:1:\d+: external frontend images are not supported/);
  assert.match(err.hint ?? '', /docker\/dockerfile:1/);
});

test('BUILDKIT_SYNTAX overrides the directive either way', () => {
  assert.equal(select('# syntax=tonistiigi/x:1\nFROM alpine\n', { BUILDKIT_SYNTAX: 'dockerfile.v0' }).source, 'build-arg');
  assert.equal(select('FROM alpine\n', { BUILDKIT_SYNTAX: 'docker/dockerfile:1-labs' }).labs, true);
  const err = failure(() => select('# syntax=docker/dockerfile:1\nFROM alpine\n', { BUILDKIT_SYNTAX: 'example.com/frontend:1' }));
  assert.match(err.message, /external frontend images are not supported: example.com\/frontend:1/);
  assert.equal(err.details.flag, '--build-arg');
});

test('planning checks the frontend first, and BUILDKIT_SYNTAX is not an unused build-arg', () => {
  const p = planBuild(parseDockerfile('# syntax=docker/dockerfile:1\nFROM alpine\n'), { env: {}, buildArgs: { BUILDKIT_SYNTAX: 'docker/dockerfile:1' } });
  assert.equal(p.frontend.source, 'build-arg');
  assert.deepEqual(p.unusedBuildArgs, []);
  assert.throws(() => planBuild(parseDockerfile('# syntax=foo/bar\nRUNN x\n'), { env: {} }), /external frontend/);
});
