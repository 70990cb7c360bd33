import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Directive } from '../../../src/dockerfile/ast.js';
import { readDirectives } from '../../../src/dockerfile/directives.js';
import { parseDockerfile } from '../../../src/dockerfile/parser.js';
import { KilnError } from '../../../src/util/errors.js';

function found(text: string): Array<[string, string, number]> {
  return readDirectives(text, 'Dockerfile').directives.map((d: Directive) => [d.name, d.value, d.range.start.line]);
}

function refusedAt(text: string): { message: string; line: number } {
  try {
    readDirectives(text, 'Dockerfile');
  } catch (err) {
    assert.ok(err instanceof KilnError);
    return { message: err.message, line: err.details.source?.range.start.line ?? 0 };
  }
  assert.fail('expected an error');
}

describe('parser directives', () => {
  test('syntax, escape and check at the head, names in any case, spaces around =', () => {
    assert.deepEqual(found('# SYNTAX = docker/dockerfile:1 // opts\n#escape=`\n# Check=skip=all\nFROM a\n'), [
      ['syntax', 'docker/dockerfile:1 // opts', 1],
      ['escape', '`', 2],
      ['check', 'skip=all', 3],
    ]);
  });

  test('the first other line ends the directives: a blank line, a comment, an unknown name, an instruction', () => {
    assert.deepEqual(found('# escape=`\n\n# syntax=x\n'), [['escape', '`', 1]]);
    assert.deepEqual(found('# hello\n# escape=`\n'), []);
    assert.deepEqual(found('# key = FOO bar\n# escape=`\n'), []);
    assert.deepEqual(found('FROM a\n# escape=`\n'), []);
  });

  test('the escape directive sets the escape token; the default is the backslash', () => {
    assert.equal(readDirectives('# escape=`\n', 'D').escape, '`');
    assert.equal(readDirectives('FROM a\n', 'D').escape, '\\');
    assert.equal(readDirectives('# escape=`\n# syntax=x\nFROM a', 'D').lineCount, 2);
  });

  test('a repeated directive is an error on its line', () => {
    assert.deepEqual(refusedAt('# syntax=a\n# escape=\\\n# Syntax=b\n'), { message: 'only one syntax parser directive can be used', line: 3 });
  });

  test('an escape token other than \\ or ` is an error', () => {
    const { message, line } = refusedAt('# escape=//\n');
    assert.match(message, /invalid escape token '\/\/'/);
    assert.equal(line, 1);
  });

  test('a #! first line is skipped when looking for syntax and check, not escape', () => {
    assert.deepEqual(found('#!/usr/bin/env kiln\n# syntax=x\n# escape=`\n# check=error=true\n'), [['syntax', 'x', 2], ['check', 'error=true', 4]]);
    assert.deepEqual(found('#!/bin/sh\n\n# syntax=x\n'), []);
  });

  test('syntax also comes from // comments or a JSON object, for other frontends', () => {
    assert.deepEqual(found('//syntax=foo\n//key=value'), [['syntax', 'foo', 1]]);
    assert.deepEqual(found('#!/bin/sh\n//syntax=x'), [['syntax', 'x', 2]]);
    assert.deepEqual(found('{"syntax": "foo", "bar": ["abc"]}'), [['syntax', 'foo', 1]]);
    assert.deepEqual(found('{"syntax": "foo"'), []);
    assert.deepEqual(found('{"syntax": "foo"}\n# syntax=bar'), []);
    assert.deepEqual(found('//check=skip=all\n'), []);
  });

  test('syntax detection reads lines as written, so an indented # syntax is not one (as in BuildKit)', () => {
    assert.deepEqual(found('  # syntax=x\n  # escape=`\n'), [['escape', '`', 2]]);
  });

  test('the directive range runs from the marker to the end of the value', () => {
    const [directive] = readDirectives('  # escape = `  \n', 'D').directives;
    assert.deepEqual(directive?.range, { start: { line: 1, column: 3 }, end: { line: 1, column: 15 } });
  });

  test('in a parse, directive lines are neither instructions nor comments of the first one', () => {
    const ast = parseDockerfile('\ufeff# syntax=docker/dockerfile:1\n# escape=`\n# about FROM\nFROM a\n');
    assert.deepEqual(ast.directives.map((d) => d.name), ['syntax', 'escape']);
    assert.deepEqual(ast.instructions[0]?.prevComment, ['about FROM']);
    assert.equal(ast.escapeToken, '`');
  });

  test('a directive-shaped comment after an instruction is only a comment', () => {
    const ast = parseDockerfile('FROM a\n# escape=`\nRUN x \\\n  y\n');
    assert.equal(ast.escapeToken, '\\');
    assert.equal(ast.instructions[1]?.argsText, 'x   y');
    assert.deepEqual(ast.instructions[1]?.prevComment, ['escape=`']);
  });
});
