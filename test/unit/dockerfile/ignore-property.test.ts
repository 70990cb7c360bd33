import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PatternMatcher, parseIgnoreFile } from '../../../src/dockerfile/ignore.js';
import { KilnError } from '../../../src/util/errors.js';

// Patterns built from glob syntax over a two-letter alphabet hit the interesting cases often;
// fully arbitrary strings make sure nothing else slips through.
const globPiece = fc.constantFrom('a', 'b', 'ab', '/', '*', '**', '?', '[ab]', '[^a]', '[a-b]', '[', ']', '-', '^', '\\', '\\*', '!', ' ', '.', '..', '☺');
const globPattern = fc.array(globPiece, { minLength: 1, maxLength: 8 }).map((parts) => parts.join(''));
const anyPattern = fc.oneof(globPattern, fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ maxLength: 12 }));
const anyPath = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 20 }), globPattern);

// Valid patterns (no bare "!", classes always closed) and tree paths over names a, b, ab.
const validPattern = fc
  .tuple(fc.boolean(), fc.array(fc.constantFrom('a', 'b', 'ab', '/', '*', '**', '?', '[ab]', '[^a]'), { minLength: 1, maxLength: 6 }))
  .map(([exclusion, parts]) => `${exclusion ? '!' : ''}${parts.join('')}`)
  .filter((pattern) => !/^!\/*$/.test(pattern));
const treePath = fc.array(fc.constantFrom('a', 'b', 'ab'), { minLength: 1, maxLength: 5 }).map((names) => names.join('/'));

function build(patterns: string[]): PatternMatcher | undefined {
  try {
    return new PatternMatcher(patterns);
  } catch (err) {
    assert.ok(err instanceof KilnError, `not a KilnError: ${String(err)}`);
    assert.equal(err.code, 'INVALID_ARGUMENT');
    return undefined;
  }
}

test('a matcher either fails to build with a KilnError or answers every path without throwing', () => {
  fc.assert(
    fc.property(fc.array(anyPattern, { maxLength: 4 }), fc.array(anyPath, { maxLength: 6 }), (patterns, paths) => {
      const matcher = build(patterns);
      if (!matcher) return;
      for (const path of paths) {
        assert.equal(typeof matcher.matches(path), 'boolean');
        assert.equal(typeof matcher.canSkipDir(path), 'boolean');
      }
    }),
    { numRuns: 2000 },
  );
});

test('parseIgnoreFile returns patterns or throws a KilnError located on a line of the text', () => {
  const lines = fc.array(fc.oneof(anyPattern, fc.constantFrom('', '#c', '!', ' ! ', '!/', '\r')), { maxLength: 6 });
  fc.assert(
    fc.property(lines, (textLines) => {
      const text = textLines.join('\n');
      try {
        for (const p of parseIgnoreFile(text, 'f')) assert.ok(p.line >= 1 && p.line <= textLines.length);
      } catch (err) {
        assert.ok(err instanceof KilnError, `not a KilnError: ${String(err)}`);
        const source = err.details.source;
        assert.ok(source, 'error has no source location');
        assert.equal(source.file, 'f');
        const { start, end } = source.range;
        assert.ok(start.line >= 1 && start.line <= textLines.length);
        assert.ok(start.column >= 1 && end.column > start.column);
        assert.ok(source.text !== undefined && textLines[start.line - 1]?.startsWith(source.text.replace(/\r$/, '')));
      }
    }),
    { numRuns: 2000 },
  );
});

test('the verdict is the polarity of the last line matching the path or a parent', () => {
  fc.assert(
    fc.property(fc.array(validPattern, { maxLength: 5 }), treePath, (patterns, path) => {
      let expected = false;
      for (const pattern of patterns) {
        const exclusion = pattern.startsWith('!');
        if (new PatternMatcher([exclusion ? pattern.slice(1) : pattern]).matches(path)) expected = !exclusion;
      }
      assert.equal(new PatternMatcher(patterns).matches(path), expected);
    }),
    { numRuns: 3000 },
  );
});

test('without exceptions, an excluded directory excludes everything below it', () => {
  const plain = validPattern.map((p) => p.replace(/^!/, ''));
  fc.assert(
    fc.property(fc.array(plain, { maxLength: 4 }), treePath, treePath, (patterns, dir, rest) => {
      const matcher = new PatternMatcher(patterns);
      if (matcher.matches(dir)) assert.equal(matcher.matches(`${dir}/${rest}`), true);
    }),
    { numRuns: 3000 },
  );
});

test('canSkipDir is sound: a skippable directory has nothing kept below it', () => {
  fc.assert(
    fc.property(fc.array(validPattern, { maxLength: 5 }), treePath, (patterns, path) => {
      const matcher = new PatternMatcher(patterns);
      const names = path.split('/');
      for (let depth = 1; depth < names.length; depth++) {
        const dir = names.slice(0, depth).join('/');
        if (matcher.canSkipDir(dir)) assert.equal(matcher.matches(path), true, `${dir} skipped but ${path} is kept`);
      }
    }),
    { numRuns: 5000 },
  );
});
