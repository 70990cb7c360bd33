import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { DockerfileAST, InstructionNode, Range } from '../../../src/dockerfile/ast.js';
import { dumpBuildkit, dumpJSON } from '../../../src/dockerfile/dump.js';
import { parseDockerfile } from '../../../src/dockerfile/parser.js';
import { KilnError } from '../../../src/util/errors.js';

// Fragments that reach every rule: keywords, escapes, continuations, quotes, heredoc markers,
// comments, JSON brackets, flags, directives, CRs and odd whitespace.
const fragment = fc.constantFrom(
  'FROM ', 'RUN ', 'COPY ', 'ADD ', 'ENV ', 'LABEL ', 'ARG ', 'ONBUILD ', 'HEALTHCHECK ', 'CMD ', 'EXPOSE ', 'X ',
  '\\', '`', '\n', '\r\n', ' ', '\t', '\u00a0', '"', "'", '<<', '<<-', 'EOF', '\nEOF\n', '\tEOF', '3<<', '#', '# escape=`\n',
  '# syntax=x\n', '[', ']', '"a"', ',', '1', '--', '--flag=', 'a=b', '=', '$', '${', '}', 'word', '\ufeff', '\u2028', '//',
);
const dockerfileish = fc.array(fragment, { maxLength: 40 }).map((parts) => parts.join(''));
const anyText = fc.oneof(dockerfileish, fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 100 }));

function physicalLineCount(text: string): number {
  return Math.max(1, text.split('\n').length);
}

function assertRange(range: Range, lines: number, what: string): void {
  for (const p of [range.start, range.end]) {
    assert.ok(Number.isInteger(p.line) && p.line >= 1 && p.line <= lines, `${what}: line ${p.line} outside 1..${lines}`);
    assert.ok(Number.isInteger(p.column) && p.column >= 1, `${what}: column ${p.column}`);
  }
  const ordered = range.start.line < range.end.line || (range.start.line === range.end.line && range.start.column <= range.end.column);
  assert.ok(ordered, `${what}: range ends before it starts`);
}

function assertNode(node: InstructionNode, lines: number): void {
  for (const range of [node.range, node.keywordRange, node.argsRange]) assertRange(range, lines, node.keyword);
  for (const flag of node.flags) assertRange(flag.range, lines, flag.text);
  for (const arg of node.args) assertRange(arg.range, lines, arg.value);
  for (const doc of node.heredocs) assertRange(doc.range, lines, doc.name);
  if (node.child) assertNode(node.child, lines);
}

function check(text: string): void {
  let ast: DockerfileAST;
  try {
    ast = parseDockerfile(text);
  } catch (err) {
    assert.ok(err instanceof KilnError, `not a KilnError: ${err instanceof Error ? err.stack : String(err)}`);
    assert.equal(err.code, 'INVALID_ARGUMENT');
    const source = err.details.source;
    assert.ok(source, 'the error is located');
    assertRange(source.range, physicalLineCount(text), err.message);
    return;
  }
  const lines = physicalLineCount(text);
  assert.ok(ast.instructions.length > 0);
  assert.ok(ast.startLine >= 1 && ast.startLine <= ast.endLine && ast.endLine <= lines);
  for (const node of ast.instructions) assertNode(node, lines);
  for (const warning of ast.warnings) assertRange(warning.range, lines, warning.rule);
  assert.ok(dumpBuildkit(ast).endsWith('\n'));
  JSON.stringify(dumpJSON(ast));
}

test('parseDockerfile returns a well-ranged AST or throws a located KilnError, for any text', () => {
  fc.assert(fc.property(anyText, check), { numRuns: 3000 });
});

test('the same holds for Dockerfile-shaped text after a valid head', () => {
  fc.assert(fc.property(dockerfileish, (body) => check(`FROM scratch\n${body}`)), { numRuns: 2000 });
});
