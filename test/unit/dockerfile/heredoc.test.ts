import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Heredoc, Range } from '../../../src/dockerfile/ast.js';
import { dumpBuildkit } from '../../../src/dockerfile/dump.js';
import { parseDockerfile } from '../../../src/dockerfile/parser.js';
import { KilnError } from '../../../src/util/errors.js';

type Doc = Pick<Heredoc, 'name' | 'content' | 'expand' | 'chomp' | 'fileDescriptor'>;

function docs(heredocs: Heredoc[]): Doc[] {
  return heredocs.map(({ name, content, expand, chomp, fileDescriptor }) => ({ name, content, expand, chomp, fileDescriptor }));
}

function doc(name: string, content: string, extra: Partial<Doc> = {}): Doc {
  return { name, content, expand: true, chomp: false, fileDescriptor: undefined, ...extra };
}

function at(range: Range): string {
  return `${range.start.line}:${range.start.column}-${range.end.line}:${range.end.column}`;
}

// The instructions of BuildKit's TestParseExtractsHeredoc, with the heredocs it expects.
// Differences by design: the fd is undefined rather than 0 when absent, and `<<-` bodies
// have their leading tabs removed (the AST contract) while BuildKit leaves that to later.
const buildkitCases: Array<[string, Doc[]]> = [
  ['USER <<INVALID\nINVALID', []],
  ['RUN <<EMPTY\nEMPTY', [doc('EMPTY', '')]],
  ['RUN 3<<EMPTY2\nEMPTY2', [doc('EMPTY2', '', { fileDescriptor: 3 })]],
  ['RUN "<<NOHEREDOC"', []],
  ['RUN <<INDENT\n\tfoo\n\tbar\nINDENT', [doc('INDENT', '\tfoo\n\tbar\n')]],
  ['RUN <<-UNINDENT\n\tbaz\n\tquux\nUNINDENT', [doc('UNINDENT', 'baz\nquux\n', { chomp: true })]],
  ['RUN <<-UNINDENT2\n\tbaz\n\tquux\n\tUNINDENT2', [doc('UNINDENT2', 'baz\nquux\n', { chomp: true })]],
  ['RUN <<-\'NOEXPAND\'\n\tdon\'t expand $NAME\nNOEXPAND', [doc('NOEXPAND', 'don\'t expand $NAME\n', { chomp: true, expand: false })]],
  ['RUN <<COMMENT\n# internal comment\necho foo bar # trailing comment\nCOMMENT', [doc('COMMENT', '# internal comment\necho foo bar # trailing comment\n')]],
  ['RUN --mount=type=cache,target=/foo <<MOUNT\necho hello\nMOUNT', [doc('MOUNT', 'echo hello\n')]],
  ['COPY <<FILE1 <<FILE2 /dest\ncontent 1\nFILE1\ncontent 2\nFILE2', [doc('FILE1', 'content 1\n'), doc('FILE2', 'content 2\n')]],
  ['COPY <<EOF /quotes\n"foo"\n\'bar\'\nEOF', [doc('EOF', '"foo"\n\'bar\'\n')]],
  ['COPY <<X <<Y /dest\nY\nX\nX\nY', [doc('X', 'Y\n'), doc('Y', 'X\n')]],
  ['RUN <<COMPLEX python3\nprint(\'hello world\')\nCOMPLEX', [doc('COMPLEX', 'print(\'hello world\')\n')]],
  ['COPY <<file.txt /dest\nhello world\nfile.txt', [doc('file.txt', 'hello world\n')]],
  ['RUN <<eo\'f\'\necho foo\neof', [doc('eof', 'echo foo\n', { expand: false })]],
  ['RUN <<eo\\\'f\necho foo\neo\'f', [doc('eo\'f', 'echo foo\n')]],
  ['RUN <<\'e\'o\\\'f\necho foo\neo\'f', [doc('eo\'f', 'echo foo\n', { expand: false })]],
  ['RUN <<\'one two\'\necho bar\none two', [doc('one two', 'echo bar\n', { expand: false })]],
  ['RUN <<$EOF\n$EOF', [doc('$EOF', '')]],
  ['RUN <<  EOF\nEOF', [doc('EOF', '')]],
  ['RUN <<  EOF  > foo\nEOF', [doc('EOF', '')]],
];

describe('heredoc extraction (BuildKit\'s parser_heredoc_test cases)', () => {
  for (const [text, expected] of buildkitCases) {
    test(JSON.stringify(text.split('\n')[0]), () => {
      const ast = parseDockerfile(`FROM alpine\n${text}\n`);
      assert.deepEqual(docs(ast.instructions[1]?.heredocs ?? []), expected);
    });
  }

  test('JSON forms never carry heredocs', () => {
    const ast = parseDockerfile('FROM a\nRUN ["whoami"]\nRUN ["<<EOF"]\nRUN ["<<\'EOF\'"]\n');
    assert.deepEqual(ast.instructions.map((n) => n.heredocs.length), [0, 0, 0, 0]);
  });

  test('quoted words are not heredocs; <<- with a space is not one either (BuildKit splits it off)', () => {
    const ast = parseDockerfile("RUN '<<EOF'\nRUN \"<<EOF\"\nRUN <<- EOF\nRUN << -EOF\n-EOF\n");
    assert.deepEqual(ast.instructions.map((n) => n.heredocs.map((h) => h.name)), [[], [], [], ['-EOF']]);
  });

  test('a line that cannot be split into words (unclosed quote) has no heredocs', () => {
    assert.deepEqual(parseDockerfile('RUN echo "<<EOF\n').instructions[0]?.heredocs, []);
  });
});

describe('heredoc bodies and placement', () => {
  test('bodies are read in order after the logical line, which may span a continuation', () => {
    const ast = parseDockerfile('FROM a\nRUN cat \\\n  <<EOF \\\n  && echo done\nhello\nEOF\nRUN next\n');
    const run = ast.instructions[1];
    assert.equal(run?.argsText, 'cat   <<EOF   && echo done');
    assert.deepEqual(docs(run?.heredocs ?? []), [doc('EOF', 'hello\n')]);
    assert.equal(at(run?.heredocs[0]?.range as Range), '3:3-6:4');
    assert.deepEqual([run?.range.start.line, run?.range.end.line], [2, 6]);
    assert.equal(ast.instructions[2]?.argsText, 'next');
  });

  test('body lines are taken verbatim: comments, escapes and blank lines stay', () => {
    const node = parseDockerfile('RUN <<EOF\n# c \\\n\n  x\\\nEOF').instructions[0];
    assert.equal(node?.heredocs[0]?.content, '# c \\\n\n  x\\\n');
  });

  test('CRLF bodies keep their CRLF as in BuildKit; the terminator matches without its CR', () => {
    const node = parseDockerfile('RUN <<EOF\r\na\r\nEOF\r\nRUN b\r\n').instructions[0];
    assert.equal(node?.heredocs[0]?.content, 'a\r\n');
  });

  test('an fd prefix and a chomped, quoted delimiter together', () => {
    const node = parseDockerfile('RUN 4<<-"END" cat\n\t\tline\n\tEND\n').instructions[0];
    assert.deepEqual(docs(node?.heredocs ?? []), [doc('END', 'line\n', { fileDescriptor: 4, chomp: true, expand: false })]);
  });

  test('ONBUILD RUN/COPY/ADD carry heredocs on the ONBUILD node', () => {
    const node = parseDockerfile('ONBUILD COPY <<EOF /x\nhi\nEOF\n').instructions[0];
    assert.deepEqual(docs(node?.heredocs ?? []), [doc('EOF', 'hi\n')]);
    assert.equal(node?.child?.heredocs.length, 0);
    assert.equal(node?.range.end.line, 3);
    assert.equal(node?.child?.range.end.line, 3);
  });

  test('ONBUILD with another instruction, or a JSON form, has none', () => {
    const ast = parseDockerfile('ONBUILD ENV a=<<EOF\nONBUILD RUN ["<<EOF"]\n');
    assert.deepEqual(ast.instructions.map((n) => n.heredocs.length), [0, 0]);
  });

  test('the heredoc words are split with the backslash even when the escape directive is the backtick', () => {
    const node = parseDockerfile('# escape=`\nRUN <<E\\"O\\"F\nbody\nE"O"F\n').instructions[0];
    assert.deepEqual(docs(node?.heredocs ?? []), [doc('E"O"F', 'body\n')]);
  });

  test('heredoc bodies are invisible in the dump', () => {
    assert.equal(dumpBuildkit(parseDockerfile('COPY <<A <<B /d\na\nA\nb\nB\n')), '(copy "<<A" "<<B" "/d")\n');
  });

  test('the instruction range and the file end line include the terminator', () => {
    const ast = parseDockerfile('FROM a\nRUN <<EOF\nx\nEOF\n');
    assert.equal(at(ast.instructions[1]?.range as Range), '2:1-4:4');
    assert.equal(ast.endLine, 4);
  });

  test('a missing terminator is an error at the << marker naming the delimiter', () => {
    assert.throws(() => parseDockerfile('FROM a\nCOPY <<A <<B /d\na\nA\nb\n'), (err: unknown) => {
      assert.ok(err instanceof KilnError);
      assert.match(err.message, /unterminated heredoc.*"B"/);
      assert.equal(at(err.details.source?.range as Range), '2:10-2:13');
      assert.equal(err.details.source?.text, 'COPY <<A <<B /d');
      return true;
    });
  });

  test('a terminator with spaces around it does not count, and the hint says so', () => {
    assert.throws(() => parseDockerfile('RUN <<EOF\nx\n EOF\n'), (err: unknown) => {
      assert.ok(err instanceof KilnError);
      assert.match(err.hint ?? '', /whole line/);
      return true;
    });
  });
});
