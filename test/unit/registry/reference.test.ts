import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { KilnError } from '../../../src/util/errors.js';
import {
  familiarName, formatReference, parseNormalizedReference, parseReference, registryHost, repositoryName,
  withDefaultTag, type Reference,
} from '../../../src/registry/index.js';

interface Parsed { domain: string; path: string; tag?: string; digest?: string }
interface Normalized extends Parsed { familiar: string; host: string }
interface Failure { error: string; hint?: string }
interface Row { input: string; note?: string; strict?: Parsed | Failure; normalized?: Normalized | Failure }

// The table is built from distribution/reference's test facts (reference_test.go, normalize_test.go).
const rows = JSON.parse(
  readFileSync(new URL('../../../fixtures/registry/references.json', import.meta.url), 'utf8'),
) as Row[];

function referenceOf(expected: Parsed): Reference {
  const ref: Reference = { domain: expected.domain, path: expected.path };
  if (expected.tag !== undefined) ref.tag = expected.tag;
  if (expected.digest !== undefined) ref.digest = expected.digest;
  return ref;
}

function assertFailure(parse: (text: string) => Reference, input: string, expected: Failure): void {
  assert.throws(
    () => parse(input),
    (err: unknown) => {
      assert.ok(err instanceof KilnError, `not a KilnError: ${String(err)}`);
      assert.equal(err.code, 'INVALID_ARGUMENT');
      assert.match(err.message, /^invalid reference format /);
      assert.ok(err.message.includes(expected.error), `message ${JSON.stringify(err.message)} lacks ${JSON.stringify(expected.error)}`);
      assert.ok(err.message.includes(JSON.stringify(input.slice(0, 200)).slice(0, -1)), 'message names the reference');
      assert.equal(err.details.reference, input);
      assert.ok(err.hint !== undefined && err.hint !== '');
      if (expected.hint !== undefined) assert.equal(err.hint, expected.hint);
      return true;
    },
  );
}

test('the table has enough rows of each kind', () => {
  assert.ok(rows.length >= 60);
  assert.ok(rows.filter((r) => r.normalized !== undefined && !('error' in r.normalized)).length >= 30);
  assert.ok(rows.filter((r) => r.normalized !== undefined && 'error' in r.normalized).length >= 30);
});

for (const row of rows) {
  const label = row.input.length > 60 ? `${row.input.slice(0, 60)}…` : row.input;
  const { strict, normalized } = row;
  if (strict !== undefined) {
    test(`parseReference ${JSON.stringify(label)}`, () => {
      if ('error' in strict) return assertFailure(parseReference, row.input, strict);
      const ref = parseReference(row.input);
      assert.deepEqual(ref, referenceOf(strict));
      assert.equal(formatReference(ref), row.input, 'strict parsing round-trips the text');
    });
  }
  if (normalized !== undefined) {
    test(`parseNormalizedReference ${JSON.stringify(label)}`, () => {
      if ('error' in normalized) return assertFailure(parseNormalizedReference, row.input, normalized);
      const ref = parseNormalizedReference(row.input);
      assert.deepEqual(ref, referenceOf(normalized));
      assert.equal(familiarName(ref), normalized.familiar);
      assert.equal(registryHost(ref), normalized.host);
      assert.equal(repositoryName(ref), `${normalized.domain}/${normalized.path}`);
      // A familiar name that is 64 hex characters reads as an image ID, as in Docker.
      if (!/^[a-f0-9]{64}$/.test(normalized.familiar)) {
        assert.deepEqual(parseNormalizedReference(familiarName(ref)), ref, 'the familiar name normalises back');
      }
      assert.deepEqual(parseReference(formatReference(ref)), ref, 'the full form parses strictly to the same reference');
    });
  }
}

test('withDefaultTag adds latest only when there is neither tag nor digest', () => {
  const bare = parseNormalizedReference('alpine');
  assert.deepEqual(withDefaultTag(bare), { domain: 'docker.io', path: 'library/alpine', tag: 'latest' });
  assert.equal(formatReference(withDefaultTag(bare)), 'docker.io/library/alpine:latest');
  assert.equal(familiarName(withDefaultTag(bare)), 'alpine:latest');
  assert.deepEqual(bare, { domain: 'docker.io', path: 'library/alpine' }, 'the input is not changed');
  const tagged = parseNormalizedReference('org/app:1');
  assert.equal(withDefaultTag(tagged), tagged);
  assert.equal(familiarName(tagged), 'org/app:1');
  const digested = parseNormalizedReference(`alpine@sha256:${'a'.repeat(64)}`);
  assert.equal(withDefaultTag(digested).tag, undefined);
});

test('registryHost maps every Docker Hub spelling to the registry API host', () => {
  assert.equal(registryHost(parseReference('index.docker.io/library/alpine')), 'registry-1.docker.io');
  assert.equal(registryHost(parseReference('alpine')), 'registry-1.docker.io');
  assert.equal(registryHost(parseNormalizedReference('docker.io/org/app')), 'registry-1.docker.io');
  assert.equal(registryHost(parseNormalizedReference('[::1]:5000/app')), '[::1]:5000');
  assert.equal(registryHost(parseNormalizedReference('localhost:5000/app')), 'localhost:5000');
});

test('repositoryName and familiarName of a strictly parsed name without a domain', () => {
  const ref = parseReference('app:1');
  assert.equal(repositoryName(ref), 'app');
  assert.equal(familiarName(ref), 'app:1');
});

test('very long hostile inputs are rejected quickly', () => {
  const inputs = [
    `a${'-'.repeat(50_000)}!`,
    `${'a.'.repeat(25_000)}/x`,
    `${'a'.repeat(50_000)}:`,
    `x/${'a_'.repeat(25_000)}`,
    `x@sha256:${'f'.repeat(50_000)}`,
  ];
  const started = performance.now();
  for (const input of inputs) {
    assert.throws(() => parseNormalizedReference(input), KilnError);
    assert.throws(() => parseReference(input), KilnError);
  }
  assert.ok(performance.now() - started < 1000);
});
