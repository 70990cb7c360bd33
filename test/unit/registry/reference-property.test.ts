import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KilnError } from '../../../src/util/errors.js';
import {
  familiarName, formatReference, parseNormalizedReference, parseReference, withDefaultTag, type Reference,
} from '../../../src/registry/index.js';

const lower = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('');
const hexDigits = '0123456789abcdef'.split('');
const word = (chars: string[], min: number, max: number) =>
  fc.array(fc.constantFrom(...chars), { minLength: min, maxLength: max }).map((c) => c.join(''));

const alphanumeric = word(lower, 1, 6);
const separator = fc.constantFrom('.', '_', '__', '-', '--');
const pathComponent = fc
  .tuple(alphanumeric, fc.array(fc.tuple(separator, alphanumeric), { maxLength: 3 }))
  .map(([head, rest]) => head + rest.map(([sep, part]) => sep + part).join(''));
// Without a written domain, a first component with a '.' would be read as a host.
const plainComponent = fc
  .tuple(alphanumeric, fc.array(fc.tuple(fc.constantFrom('_', '__', '-'), alphanumeric), { maxLength: 3 }))
  .map(([head, rest]) => head + rest.map(([sep, part]) => sep + part).join(''));

const hostLabel = fc
  .tuple(word([...lower, 'A', 'Z'], 1, 5), fc.option(word([...lower, '-'], 0, 4)), word(lower, 1, 3))
  .map(([a, middle, b]) => (middle === null ? a : a + middle + b));
const port = fc.integer({ min: 1, max: 65535 }).map((n) => `:${n}`);
const domain = fc.oneof(
  fc.constantFrom('docker.io', 'index.docker.io', 'localhost', 'localhost:5000', 'ghcr.io', 'LOCALDOMAIN', 'Registry'),
  fc.tuple(fc.array(hostLabel, { minLength: 2, maxLength: 3 }), fc.option(port)).map(([labels, p]) => labels.join('.') + (p ?? '')),
  fc.tuple(fc.ipV4(), fc.option(port)).map(([ip, p]) => ip + (p ?? '')),
  fc.tuple(word(hexDigits, 0, 4), word(hexDigits, 0, 4), fc.option(port)).map(([a, b, p]) => `[${a}::${b}]${p ?? ''}`),
  fc.tuple(hostLabel, port).map(([label, p]) => label + p),
);

const tagChars = [...'abcXYZ019_.-'];
const tag = fc.tuple(fc.constantFrom(...'aZ09_'), word(tagChars, 0, 20)).map(([head, rest]) => head + rest);
const digest = word(hexDigits, 64, 64).map((hex) => `sha256:${hex}`);

interface Generated { text: string; expected: Reference }

const generated: fc.Arbitrary<Generated> = fc
  .record({
    domain: fc.option(domain),
    first: plainComponent,
    rest: fc.array(pathComponent, { maxLength: 3 }),
    tag: fc.option(tag),
    digest: fc.option(digest),
  })
  .map(({ domain: written, first, rest, tag: t, digest: d }) => {
    const path = [first, ...rest].join('/');
    const text = (written === null ? '' : `${written}/`) + path + (t === null ? '' : `:${t}`) + (d === null ? '' : `@${d}`);
    const host = written === null || written === 'index.docker.io' ? 'docker.io' : written;
    const expected: Reference = { domain: host, path: host === 'docker.io' && rest.length === 0 ? `library/${path}` : path };
    if (t !== null) expected.tag = t;
    if (d !== null) expected.digest = d;
    return { text, expected };
  });

test('generated valid references normalise as Docker does and their full form re-parses unchanged', () => {
  fc.assert(
    fc.property(generated, ({ text, expected }) => {
      const ref = parseNormalizedReference(text);
      assert.deepEqual(ref, expected);
      const full = formatReference(ref);
      assert.deepEqual(parseNormalizedReference(full), ref);
      assert.deepEqual(parseReference(full), ref);
      assert.deepEqual(parseNormalizedReference(familiarName(ref)), ref);
      assert.equal(formatReference(withDefaultTag(ref)), ref.tag === undefined && ref.digest === undefined ? `${full}:latest` : full);
    }),
    { numRuns: 2000 },
  );
});

// Reference syntax in pieces hits the interesting branches far more often than random text.
const piece = fc.constantFrom(
  'a', 'Z', '0', 'f', '.', '_', '__', '-', ':', '/', '@', '[', ']', '::1', 'docker.io', 'index.docker.io', 'localhost',
  'library', 'sha256:', 'sha512:', 'ffffffffffffffff', ':5000', ' ', 'é', '\u0000', '%', 'K',
);
const anyText = fc.oneof(
  fc.array(piece, { maxLength: 14 }).map((parts) => parts.join('')),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

test('arbitrary text either parses to a reference that round-trips or throws a KilnError', () => {
  fc.assert(
    fc.property(anyText, (text) => {
      for (const parse of [parseReference, parseNormalizedReference]) {
        let ref: Reference;
        try {
          ref = parse(text);
        } catch (err) {
          assert.ok(err instanceof KilnError, `not a KilnError: ${String(err)}`);
          assert.equal(err.code, 'INVALID_ARGUMENT');
          assert.equal(err.details.reference, text);
          continue;
        }
        if (parse === parseReference) assert.equal(formatReference(ref), text);
        assert.deepEqual(parseReference(formatReference(ref)), ref);
      }
    }),
    { numRuns: 5000 },
  );
});
