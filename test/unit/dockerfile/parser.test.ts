import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InstructionNode, Range } from '../../../src/dockerfile/ast.js';
import { dumpBuildkit } from '../../../src/dockerfile/dump.js';
import { parseDockerfile } from '../../../src/dockerfile/parser.js';
import { KilnError } from '../../../src/util/errors.js';
import { formatError } from '../../../src/util/format-error.js';

function only(text: string): InstructionNode {
  const [node, ...rest] = parseDockerfile(text).instructions;
  assert.ok(node);
  assert.equal(rest.length, 0);
  return node;
}

function dump(text: string): string {
  return dumpBuildkit(parseDockerfile(text));
}

function refused(text: string): KilnError {
  try {
    parseDockerfile(text);
  } catch (err) {
    assert.ok(err instanceof KilnError, `expected a KilnError, got ${String(err)}`);
    assert.equal(err.code, 'INVALID_ARGUMENT');
    return err;
  }
  assert.fail('expected the parse to fail');
}

/** `line:column-line:column`, 1-based, end exclusive. */
function at(range: Range): string {
  return `${range.start.line}:${range.start.column}-${range.end.line}:${range.end.column}`;
}

describe('logical lines', () => {
  test('continuation lines keep their indentation and are joined with no separator', () => {
    assert.equal(only('RUN echo hello \\\n  world \\\n\tagain').argsText, 'echo hello   world \tagain');
  });

  test('trailing spaces and tabs after the escape character still continue the line', () => {
    assert.equal(only('RUN a \\  \t\nb').argsText, 'a b');
  });

  test('an escaped escape character at the end does not continue, and keeps both characters', () => {
    const ast = parseDockerfile('ENV C trailing\\\\\nENV D next\n');
    assert.deepEqual(ast.instructions.map((n) => n.args[1]?.value), ['trailing\\\\', 'next']);
  });

  test('comment lines inside a continuation are skipped, even when they end with the escape character', () => {
    const node = only('RUN a \\\n  # note \\\n# another\n  b');
    assert.equal(node.argsText, 'a   b');
    assert.deepEqual([node.range.start.line, node.range.end.line], [1, 4]);
  });

  test('a blank continuation line is skipped with one NoEmptyContinuation warning on the first blank line', () => {
    const ast = parseDockerfile('FROM a\nRUN x \\\n\n   \n  y\nRUN ok \\\n  # a comment is fine\n  z\n');
    assert.deepEqual(ast.instructions.map((n) => n.argsText), ['a', 'x   y', 'ok   z']);
    assert.deepEqual(ast.warnings, [
      { rule: 'NoEmptyContinuation', message: 'Empty continuation line', range: { start: { line: 3, column: 1 }, end: { line: 3, column: 1 } } },
    ]);
  });

  test('BuildKit\'s empty-continuation cases warn once per affected instruction', () => {
    const text = '\nFROM alpine:3.6\n\nRUN valid \\\n    continuation\n\nRUN something \\\n\n    following \\\n\n    more\n\n' +
      'RUN another \\\n\n    thing\n\nRUN non-indented \\\n# this is a comment\n   after-comment\n\nRUN indented \\\n' +
      '    # this is an indented comment\n    comment\n\t';
    const ast = parseDockerfile(text);
    assert.deepEqual(ast.warnings.map((w) => w.range.start.line), [8, 14]);
    assert.equal(ast.instructions[2]?.original, 'RUN something     following     more');
  });

  test('a line holding only the escape character contributes nothing and continues', () => {
    assert.equal(only('ENV E hello\\\n\\\nworld').args[1]?.value, 'helloworld');
    assert.equal(only('ENV F hello\\\n \\\nworld').args[1]?.value, 'hello world');
  });

  test('the end of the file ends a continuation', () => {
    const node = only('RUN a \\\n  b \\');
    assert.equal(node.argsText, 'a   b');
    assert.equal(node.range.end.line, 2);
  });

  test('a logical line that ends up empty is ignored', () => {
    assert.equal(dump('FROM a\n\\\n\\'), '(from "a")\n');
  });

  test('a lone escape line starts the logical line: the instruction starts there for startLine', () => {
    const ast = parseDockerfile('\\\nFROM a\n');
    assert.equal(ast.startLine, 1);
    assert.equal(at(ast.instructions[0]?.keywordRange as Range), '2:1-2:5');
  });

  test('the escape directive makes the backtick the continuation character and the backslash literal', () => {
    const ast = parseDockerfile('# escape=`\nFROM a\nRUN dir c:\\ `\n  /s\n');
    assert.equal(ast.escapeToken, '`');
    assert.equal(ast.instructions[1]?.argsText, 'dir c:\\   /s');
  });

  test('CRLF line endings parse like LF and are not kept in lines', () => {
    const text = 'FROM a\r\nRUN x \\\r\n  y\r\n\r\nENV k=v\r\n';
    assert.equal(dump(text), dump(text.replaceAll('\r\n', '\n')));
    assert.deepEqual(parseDockerfile(text).lines, ['FROM a', 'RUN x \\', '  y', '', 'ENV k=v']);
  });

  test('a byte order mark is dropped and does not shift columns', () => {
    const ast = parseDockerfile('\ufeffFROM a\n');
    assert.equal(ast.lines[0], 'FROM a');
    assert.equal(at(ast.instructions[0]?.keywordRange as Range), '1:1-1:5');
  });

  test('# is a comment only at the start of a line', () => {
    assert.equal(only('RUN echo # not a comment').argsText, 'echo # not a comment');
  });

  test('a line of 65535 bytes is accepted; one more byte (counted in UTF-8) is refused at that line', () => {
    only(`LABEL a=${'x'.repeat(65535 - 8)}`);
    const err = refused(`FROM a\nLABEL a=${'x'.repeat(65535 - 7)}\n`);
    assert.equal(err.details.source?.range.start.line, 2);
    assert.match(err.message, /longer than 65535 bytes/);
    assert.ok((err.details.source?.text ?? '').length < 100, 'the excerpt is cut short');
    const euro = refused(`LABEL a=${'€'.repeat(21843)}`);
    assert.equal(euro.details.source?.range.start.line, 1);
  });
});

describe('keyword, flags and arguments', () => {
  test('the keyword keeps its spelling; the name is lower-cased', () => {
    const node = only('Run  echo');
    assert.deepEqual([node.keyword, node.name, node.argsText], ['Run', 'run', 'echo']);
  });

  test('flags are extracted for every instruction, unquoted, and end at the first other word', () => {
    const node = only('CMD --doit [ "a", "b" ]');
    assert.deepEqual(node.flags.map((f) => f.text), ['--doit']);
    assert.deepEqual(node.args.map((a) => a.value), ['a', 'b']);
    assert.equal(node.json, true);
  });

  test('flag words lose quotes and escape characters; name and value split at the first =', () => {
    const node = only('COPY --chown="app user" --from=build\\ stage --link --mount=type=cache,target=/x src dst');
    assert.deepEqual(node.flags.map((f) => [f.text, f.name, f.value]), [
      ['--chown=app user', 'chown', 'app user'],
      ['--from=build stage', 'from', 'build stage'],
      ['--link', 'link', undefined],
      ['--mount=type=cache,target=/x', 'mount', 'type=cache,target=/x'],
    ]);
    assert.deepEqual(node.args.map((a) => a.value), ['src', 'dst']);
  });

  test('a -- word ends the flags and is dropped', () => {
    assert.equal(dump('COPY --doit=true -- --not-a-flag /tmp/'), '(copy ["--doit=true"] "--not-a-flag" "/tmp/")\n');
    assert.equal(dump('CMD --doit -- [ ]'), '(cmd ["--doit"])\n');
  });

  test('shell forms keep the whole argument string verbatim as one argument', () => {
    const node = only('RUN  echo "a  b" \'c\'  ');
    assert.deepEqual(node.args.map((a) => a.value), ['echo "a  b" \'c\'']);
    assert.equal(node.json, false);
  });

  test('a JSON array of strings is exec form; invalid JSON falls back to shell form', () => {
    assert.equal(dump('CMD ["a", "b"]\nCMD []\nCMD [\'a\']\nCMD ["a"\nENTRYPOINT ["a"] x'),
      '(cmd "a" "b")\n(cmd)\n(cmd "[\'a\']")\n(cmd "[\\"a\\"")\n(entrypoint "[\\"a\\"] x")\n');
    assert.equal(only('CMD []').json, true);
  });

  test('a JSON array holding anything but strings is an error, located at the array', () => {
    const err = refused('FROM a\nRUN ["echo", 1]');
    assert.match(err.message, /strings only/);
    assert.equal(at(err.details.source?.range as Range), '2:5-2:16');
  });

  test('a number too large for a float64 makes Go reject the JSON, so it is shell form', () => {
    assert.equal(dump('CMD ["a", 1e999]'), '(cmd "[\\"a\\", 1e999]")\n');
  });

  test('an unpaired surrogate escape decodes to U+FFFD as in Go', () => {
    assert.equal(only('CMD ["\\ud800x"]').args[0]?.value, '\ufffdx');
  });

  test('ADD, COPY and VOLUME split shell form on spaces and tabs; JSON form quotes paths with spaces', () => {
    assert.equal(dump('COPY a\tb  c\nVOLUME ["/my data", "/x"]\nADD'), '(copy "a" "b" "c")\n(volume "/my data" "/x")\n(add)\n');
  });

  test('ENV and LABEL: name=value words give name, value, "="; quotes and escapes stay', () => {
    assert.equal(dump('ENV a="x y" b=c\\ d e='), '(env "a" "\\"x y\\"" "=" "b" "c\\\\ d" "=" "e" "" "=")\n');
  });

  test('ENV and LABEL legacy form: the name, then the rest verbatim, then ""', () => {
    assert.equal(dump('ENV a b  "c" d\nLABEL maintainer docker <docker@docker.io>'),
      '(env "a" "b  \\"c\\" d" "")\n(label "maintainer" "docker <docker@docker.io>" "")\n');
  });

  test('ARG keeps each word whole, quotes included', () => {
    assert.equal(dump('ARG a=b "c d"=e f'), '(arg "a=b" "\\"c d\\"=e" "f")\n');
  });

  test('HEALTHCHECK: the type word, then the command as RUN takes it', () => {
    assert.equal(dump('HEALTHCHECK NONE\nHEALTHCHECK --interval=5s CMD ["curl", "-f"]\nHEALTHCHECK CMD curl -f x\nHEALTHCHECK'),
      '(healthcheck "NONE")\n(healthcheck ["--interval=5s"] "CMD" "curl" "-f")\n(healthcheck "CMD" "curl -f x")\n(healthcheck)\n');
    assert.equal(only('HEALTHCHECK CMD ["a"]').json, true);
  });

  test('FROM and EXPOSE are whitespace lists; USER, WORKDIR, STOPSIGNAL one string', () => {
    assert.equal(dump('FROM  a AS b\nEXPOSE 80 443/tcp\nUSER me:us\nWORKDIR /a b\nSTOPSIGNAL SIGTERM'),
      '(from "a" "AS" "b")\n(expose "80" "443/tcp")\n(user "me:us")\n(workdir "/a b")\n(stopsignal "SIGTERM")\n');
  });

  test('an unknown instruction is kept with one empty argument', () => {
    const node = only('FOO --x bar baz');
    assert.deepEqual([node.keyword, node.name, node.argsText], ['FOO', 'foo', 'bar baz']);
    assert.equal(dump('FOO --x bar baz'), '(foo ["--x"] "")\n');
  });

  test('ONBUILD holds its instruction as a child with its own flags and argument shape', () => {
    const node = only('ONBUILD --a COPY --from=x ["s", "d"]');
    assert.deepEqual(node.flags.map((f) => f.text), ['--a']);
    assert.equal(node.args.length, 0);
    assert.equal(node.child?.name, 'copy');
    assert.deepEqual(node.child?.flags.map((f) => f.text), ['--from=x']);
    assert.equal(node.child?.json, true);
    assert.equal(node.child?.original, 'COPY --from=x ["s", "d"]');
    assert.equal(dump('ONBUILD --a COPY --from=x ["s", "d"]\nONBUILD'), '(onbuild ["--a"] (copy ["--from=x"] "s" "d"))\n(onbuild)\n');
  });

  test('the keyword ends at ASCII whitespace only (BuildKit splits on [\\t\\v\\f\\r ])', () => {
    assert.equal(only('RUN\u00a0x').keyword, 'RUN\u00a0x');
  });
});

describe('source ranges', () => {
  test('keyword, flags, arguments and the instruction on one line', () => {
    const node = only('  COPY --chown=a:b src  dst  ');
    assert.equal(at(node.keywordRange), '1:3-1:7');
    assert.equal(at(node.flags[0]?.range as Range), '1:8-1:19');
    assert.equal(at(node.argsRange), '1:20-1:28');
    assert.deepEqual(node.args.map((a) => at(a.range)), ['1:20-1:23', '1:25-1:28']);
    assert.equal(at(node.range), '1:3-1:30');
  });

  test('arguments from continuation lines map back to their physical line and column', () => {
    const node = only('COPY a \\\n    bb \\\n  # skipped\n  ccc');
    assert.deepEqual(node.args.map((a) => [a.value, at(a.range)]), [['a', '1:6-1:7'], ['bb', '2:5-2:7'], ['ccc', '4:3-4:6']]);
    assert.equal(at(node.argsRange), '1:6-4:6');
    assert.equal(at(node.range), '1:1-4:6');
  });

  test('an argument ending where a physical line ends stays on that line', () => {
    const node = only('RUN echo\\\n  x');
    assert.equal(node.argsText, 'echo  x');
    assert.equal(at(node.argsRange), '1:5-2:4');
    const env = only('ENV a=b\\\n c=d');
    assert.deepEqual(env.args.map((a) => at(a.range)), ['1:5-1:6', '1:7-1:8', '1:6-1:7', '2:2-2:3', '2:4-2:5', '2:3-2:4']);
  });

  test('JSON arguments: each element covers its string literal, quotes included', () => {
    const node = only('CMD [ "a", "b\\"c" ]');
    assert.deepEqual(node.args.map((a) => [a.value, at(a.range)]), [['a', '1:7-1:10'], ['b"c', '1:12-1:18']]);
    assert.equal(at(node.argsRange), '1:5-1:20');
  });

  test('ENV legacy form: key, value and the empty third node at the end', () => {
    const node = only('ENV PATH /a  /b');
    assert.deepEqual(node.args.map((a) => at(a.range)), ['1:5-1:9', '1:10-1:16', '1:16-1:16']);
  });

  test('empty arguments have an empty range after the keyword', () => {
    const node = only('ONBUILD  ');
    assert.equal(node.argsText, '');
    assert.equal(at(node.argsRange), '1:8-1:8');
  });

  test('ONBUILD: the child has its own keyword and argument ranges', () => {
    const node = only('ONBUILD RUN echo hi');
    assert.equal(at(node.child?.keywordRange as Range), '1:9-1:12');
    assert.equal(at(node.child?.args[0]?.range as Range), '1:13-1:20');
    assert.equal(at(node.child?.range as Range), '1:9-1:20');
  });

  test('startLine and endLine span the first to the last instruction', () => {
    const ast = parseDockerfile('# syntax=docker/dockerfile:1\n\nFROM a\nRUN x \\\n  y\n\n# trailing comment\n');
    assert.deepEqual([ast.startLine, ast.endLine], [3, 5]);
  });
});

describe('comments above an instruction (prevComment)', () => {
  test('consecutive comments are kept, blank lines do not separate them, an empty # clears them', () => {
    const ast = parseDockerfile('# syntax=x\n# one\n\n#  two  \nFROM a\n# gone\n#\n# three\nRUN b\nRUN c');
    assert.deepEqual(ast.instructions.map((n) => n.prevComment), [['one', 'two'], ['three'], []]);
  });

  test('comments inside a continuation are not kept; BuildKit drops the first character, so indented ones keep their #', () => {
    const ast = parseDockerfile('  # indented\nRUN a \\\n  # inside\n  b');
    assert.deepEqual(ast.instructions[0]?.prevComment, ['# indented']);
  });

  test('the original text is the joined logical line', () => {
    assert.equal(only('  RUN a \\\n  b  ').original, 'RUN a   b  ');
  });
});

describe('size', () => {
  // Generous bounds: they only catch quadratic behaviour (which would take minutes here).
  function timed(text: string): { ms: number; ast: ReturnType<typeof parseDockerfile> } {
    const start = performance.now();
    const ast = parseDockerfile(text);
    return { ms: performance.now() - start, ast };
  }

  test('a logical line of 20,000 continuation lines parses in linear time, with ranges on the right lines', () => {
    const words = Array.from({ length: 20000 }, (_, i) => `f${i}`);
    const { ms, ast } = timed(`FROM a\nCOPY ${words.join(' \\\n  ')} /dst/\n`);
    assert.ok(ms < 3000, `took ${ms.toFixed(0)} ms`);
    const copy = ast.instructions[1];
    assert.equal(copy?.args.length, 20001);
    assert.equal(at(copy?.args[19999]?.range as Range), '20001:3-20001:9');
  });

  test('a heredoc of 100,000 lines parses in linear time', () => {
    const { ms, ast } = timed(`FROM a\nRUN <<EOF\n${'echo line\n'.repeat(100000)}EOF\n`);
    assert.ok(ms < 3000, `took ${ms.toFixed(0)} ms`);
    assert.equal(ast.instructions[1]?.heredocs[0]?.content.length, 1000000);
  });
});

describe('golden errors (fixtures/dockerfile/parse-errors)', () => {
  const root = fileURLToPath(new URL('../../../fixtures/dockerfile/parse-errors/', import.meta.url));
  const cases = readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  test('there are enough cases to pin the messages', () => assert.ok(cases.length >= 10, `only ${cases.length} cases`));
  for (const name of cases) {
    test(name, () => {
      const err = refused(readFileSync(join(root, name, 'Dockerfile'), 'utf8'));
      const actual = `${formatError(err)}\n`;
      const golden = join(root, name, 'error.txt');
      if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, actual);
      assert.ok(existsSync(golden), `missing ${golden}: run with UPDATE_GOLDEN=1`);
      assert.equal(actual, readFileSync(golden, 'utf8'));
    });
  }
});
