// BuildKit's parser corpus: every positive case must dump exactly like BuildKit's
// `Node.Dump()`, every negative case must be refused with a located KilnError, and the line
// numbers of testfile-line must match TestParseIncludesLineNumbers. The shared subset lives
// in ../shared/conformance; the held-out cases are copies in fixtures/dockerfile/parse.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dumpBuildkit } from '../../src/dockerfile/dump.js';
import { parseDockerfile } from '../../src/dockerfile/parser.js';
import { KilnError } from '../../src/util/errors.js';

const corpus = fileURLToPath(new URL('../../../shared/conformance/buildkit-parser/', import.meta.url));
const heldOut = fileURLToPath(new URL('../../fixtures/dockerfile/parse/', import.meta.url));

// A missing corpus must fail the run, not shrink it to nothing.
function caseNames(dir: string): string[] {
  if (!existsSync(dir)) throw new Error(`conformance corpus not found: ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

function read(path: string): string {
  return readFileSync(path, 'utf8');
}

const positive = [
  ...caseNames(join(corpus, 'testfiles')).map((name) => ({ name, dir: join(corpus, 'testfiles', name) })),
  ...caseNames(heldOut).map((name) => ({ name: `${name} (held out)`, dir: join(heldOut, name) })),
];

function checkDump(dir: string): void {
  const expected = read(join(dir, 'result')).replaceAll('\r\n', '\n');
  const actual = dumpBuildkit(parseDockerfile(read(join(dir, 'Dockerfile'))));
  if (actual === expected) return;
  const want = expected.split('\n');
  const got = actual.split('\n');
  const at = want.findIndex((line, i) => line !== got[i]);
  assert.fail(`dump differs at line ${at + 1}:\n  expected ${JSON.stringify(want[at])}\n  actual   ${JSON.stringify(got[at])}`);
}

describe('BuildKit testfiles: the dump equals `result` byte for byte', () => {
  test('the corpus is complete: the 20 shared cases plus the 13 held out make BuildKit\'s 33', () => {
    assert.equal(caseNames(join(corpus, 'testfiles')).length, 20);
    assert.equal(positive.length, 33);
  });
  for (const { name, dir } of positive) {
    test(name, () => checkDump(dir));
  }
});

describe('BuildKit testfiles-negative: parsing fails with a located KilnError', () => {
  const negative = caseNames(join(corpus, 'testfiles-negative'));
  test('the shared negative cases are there', () => assert.deepEqual(negative, ['empty_dockerfile', 'only_comments']));
  for (const name of negative) {
    test(name, () => {
      const text = read(join(corpus, 'testfiles-negative', name, 'Dockerfile'));
      assert.throws(() => parseDockerfile(text), (err: unknown) => {
        assert.ok(err instanceof KilnError, `not a KilnError: ${String(err)}`);
        assert.equal(err.code, 'INVALID_ARGUMENT');
        assert.ok((err.details.source?.range.start.line ?? 0) >= 1);
        return true;
      });
    });
  }
});

describe('BuildKit testfile-line: start and end lines', () => {
  test('the root spans 5-31 and the three instructions 5-5, 11-12, 17-31', () => {
    const ast = parseDockerfile(read(join(corpus, 'testfile-line', 'Dockerfile')));
    assert.equal(ast.startLine, 5);
    assert.equal(ast.endLine, 31);
    const lines = ast.instructions.map((node) => [node.range.start.line, node.range.end.line]);
    assert.deepEqual(lines, [[5, 5], [11, 12], [17, 31]]);
    // Line 1 is `# ESCAPE=\`: an upper-case directive name still counts.
    assert.deepEqual(ast.directives.map((d) => [d.name, d.value]), [['escape', '\\']]);
  });
});
