import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dumpBuildkit, dumpJSON } from '../../../src/dockerfile/dump.js';
import { goQuote, goToLower, goTrimSpace, isGoSpace } from '../../../src/dockerfile/gostring.js';
import { parseDockerfile } from '../../../src/dockerfile/parser.js';

describe('Go quoting (strconv.Quote)', () => {
  const cases: Array<[string, string]> = [
    ['', '""'],
    ['plain text/with \'quotes\'', '"plain text/with \'quotes\'"'],
    ['"\\', '"\\"\\\\"'],
    ['\x07\b\f\n\r\t\v', '"\\a\\b\\f\\n\\r\\t\\v"'],
    ['\x00\x1b\x7f', '"\\x00\\x1b\\x7f"'],
    ['♥ ☃ é 日本', '"♥ ☃ é 日本"'],
    ['\u00a0\u200b\u00ad\u2028', '"\\u00a0\\u200b\\u00ad\\u2028"'],
    ['\u{1f600}\u{e0001}', '"\u{1f600}\\U000e0001"'],
    ['\u0301', '"\u0301"'],
    ['\ud800', '"\ufffd"'],
  ];
  for (const [input, expected] of cases) {
    test(`${JSON.stringify(input)} -> ${expected}`, () => assert.equal(goQuote(input), expected));
  }
});

describe('Go string helpers', () => {
  test('unicode.IsSpace', () => {
    assert.deepEqual([...'\t\n\v\f\r \u0085\u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000'].map((c) => isGoSpace(c.charCodeAt(0))).every(Boolean), true);
    assert.deepEqual(['\ufeff', '\u200b', 'a', '\u180e'].map((c) => isGoSpace(c.charCodeAt(0))), [false, false, false, false]);
  });

  test('strings.TrimSpace and ToLower', () => {
    assert.equal(goTrimSpace('\u0085 a b\u3000\n'), 'a b');
    assert.equal(goToLower('RUN'), 'run');
    assert.equal(goToLower('İSTANBUL ΟΔΟΣ'), 'istanbul οδοσ');
  });
});

describe('dumpBuildkit', () => {
  test('one line per instruction: lower-cased keyword, %q flags, quoted arguments, and a final newline', () => {
    const text = 'FROM --platform=$BUILDPLATFORM golang AS build\nCOPY --from=build --chown=1:1 ["/a b", "/c"]\nRUN\techo\t"hi"\n';
    assert.equal(dumpBuildkit(parseDockerfile(text)),
      '(from ["--platform=$BUILDPLATFORM"] "golang" "AS" "build")\n(copy ["--from=build" "--chown=1:1"] "/a b" "/c")\n(run "echo\\t\\"hi\\"")\n');
  });

  test('ONBUILD nests its instruction; an unknown one dumps an empty argument', () => {
    assert.equal(dumpBuildkit(parseDockerfile('ONBUILD RUN ["echo", "test"]\nBOGUS x\n')), '(onbuild (run "echo" "test"))\n(bogus "")\n');
  });
});

describe('dumpJSON', () => {
  test('plain JSON data with ranges, without the source lines', () => {
    const json = dumpJSON(parseDockerfile('# syntax=docker/dockerfile:1\nFROM a\nCOPY --link <<EOF /x\nhi\nEOF\n')) as Record<string, unknown>;
    assert.deepEqual(JSON.parse(JSON.stringify(json)), json, 'survives a JSON round trip unchanged');
    assert.equal('lines' in json, false);
    assert.deepEqual(json['directives'], [
      { name: 'syntax', value: 'docker/dockerfile:1', range: { start: { line: 1, column: 1 }, end: { line: 1, column: 29 } } },
    ]);
    const [from, copy] = json['instructions'] as Array<Record<string, unknown>>;
    assert.equal(from?.['child'], null);
    assert.deepEqual(copy?.['flags'], [{ text: '--link', name: 'link', value: null, range: { start: { line: 3, column: 6 }, end: { line: 3, column: 12 } } }]);
    assert.deepEqual(copy?.['heredocs'], [{
      name: 'EOF', content: 'hi\n', expand: true, chomp: false, fileDescriptor: null,
      range: { start: { line: 3, column: 13 }, end: { line: 5, column: 4 } },
    }]);
    assert.deepEqual([json['startLine'], json['endLine']], [2, 5]);
  });
});
