import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LineReader, type EscapeToken, type LineKind } from '../../../src/dockerfile/lexer.js';
import { KilnError } from '../../../src/util/errors.js';

function lex(text: string, escape: EscapeToken = '\\'): Array<[number, LineKind, string, boolean]> {
  const reader = new LineReader(text, escape, 'Dockerfile');
  const out: Array<[number, LineKind, string, boolean]> = [];
  for (let line = reader.next(); line !== undefined; line = reader.next()) out.push([line.number, line.kind, line.raw, line.terminated]);
  return out;
}

function kinds(text: string, escape: EscapeToken = '\\'): LineKind[] {
  return lex(text, escape).map(([, kind]) => kind);
}

describe('physical lines', () => {
  test('lines are split on \\n only, numbered from 1; the last one may lack a newline', () => {
    assert.deepEqual(lex('FROM a\n\nRUN b'), [
      [1, 'text', 'FROM a', true],
      [2, 'empty', '', true],
      [3, 'text', 'RUN b', false],
    ]);
    assert.deepEqual(lex(''), []);
    assert.deepEqual(lex('a\n'), [[1, 'text', 'a', true]]);
  });

  test('a CR is ordinary text inside a line and kept at its end in raw, but not in lines', () => {
    assert.deepEqual(lex('a\rb\r\r\n'), [[1, 'text', 'a\rb\r\r', true]]);
    const reader = new LineReader('a\rb\r\r\nc\r', '\\', 'D');
    while (reader.next());
    assert.deepEqual(reader.lines, ['a\rb', 'c']);
  });

  test('blank lines hold only Go whitespace, which includes CR, NEL and NBSP but not U+FEFF', () => {
    assert.deepEqual(kinds(' \t\n\r\n\u0085\u00a0\u3000\n\ufeff\n'), ['blank', 'blank', 'blank', 'text']);
  });

  test('a comment is # after optional whitespace, even when it ends with the escape character', () => {
    assert.deepEqual(kinds('# a\n  \t# b \\\n\u00a0#c\nRUN # d\n'), ['comment', 'comment', 'comment', 'text']);
  });
});

describe('line continuation', () => {
  test('the escape character at the end, optionally followed by spaces, tabs and CRs, continues', () => {
    assert.deepEqual(kinds('a \\\nb\\  \t\nc\\\r\nd \\ \r \n\\\n  \\\n'), ['continued', 'continued', 'continued', 'text', 'continued', 'continued']);
  });

  test('an escaped escape character does not continue; three in a row do not either', () => {
    assert.deepEqual(kinds('a\\\\\n\\\\\nb\\\\\\\n'), ['text', 'text', 'text']);
  });

  test('with the backtick escape, the backtick continues and the backslash is text', () => {
    assert.deepEqual(kinds('a `\nb \\\nc ``\n', '`'), ['continued', 'text', 'text']);
  });

  test('the lexer keeps moo\'s line numbers across empty lines and CRLF', () => {
    assert.deepEqual(lex('\r\n\n#x\r\ny \\\r\n').map(([n, k]) => [n, k]), [[1, 'blank'], [2, 'empty'], [3, 'comment'], [4, 'continued']]);
  });
});

describe('line length', () => {
  test('65535 bytes is the most a line may hold, counted in UTF-8', () => {
    assert.equal(lex('x'.repeat(65535)).length, 1);
    assert.equal(lex('é'.repeat(32767)).length, 1);
    for (const text of ['x'.repeat(65536), `a\n${'é'.repeat(32768)}\n`]) {
      assert.throws(() => lex(text), (err: unknown) => {
        assert.ok(err instanceof KilnError);
        assert.equal(err.code, 'INVALID_ARGUMENT');
        assert.match(err.message, /longer than 65535 bytes/);
        assert.match(err.hint ?? '', /continuation/);
        return true;
      });
    }
  });

  test('the error names the long line', () => {
    assert.throws(() => lex(`a\nb\n${'y'.repeat(70000)}`), (err: unknown) => {
      assert.ok(err instanceof KilnError);
      assert.equal(err.details.source?.range.start.line, 3);
      assert.equal(err.details.source?.file, 'Dockerfile');
      return true;
    });
  });
});
