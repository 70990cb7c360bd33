// Golden error messages: each fixtures/dockerfile/instruction-errors/<case>/Dockerfile must
// fail planning with exactly the formatted error in error.txt (location, source line, caret,
// hint). Set KILN_UPDATE_GOLDEN=1 to rewrite the files after a deliberate wording change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDockerfile } from '../../../src/dockerfile/parser.js';
import { planBuild } from '../../../src/dockerfile/instructions/index.js';
import { formatError } from '../../../src/util/format-error.js';
import { isKilnError } from '../../../src/util/errors.js';

const root = fileURLToPath(new URL('../../../fixtures/dockerfile/instruction-errors/', import.meta.url));
const update = process.env['KILN_UPDATE_GOLDEN'] === '1';
const cases = readdirSync(root).sort();

function failureOf(text: string): string {
  try {
    planBuild(parseDockerfile(text, { file: 'Dockerfile' }), { buildPlatform: { os: 'linux', architecture: 'amd64' }, env: {} });
  } catch (err) {
    if (isKilnError(err)) return `${formatError(err)}\n`;
    throw err;
  }
  return 'no error\n';
}

test('the golden corpus has the expected cases', () => {
  assert.ok(cases.length >= 15, `only ${cases.length} cases in ${root}`);
});

for (const name of cases) {
  test(`instruction error: ${name}`, () => {
    const actual = failureOf(readFileSync(`${root}${name}/Dockerfile`, 'utf8'));
    const golden = `${root}${name}/error.txt`;
    if (update) writeFileSync(golden, actual);
    assert.ok(existsSync(golden), `missing ${golden}`);
    assert.equal(actual, readFileSync(golden, 'utf8'));
    assert.match(actual, /^Dockerfile:\d+:\d+: /);
    assert.match(actual, /\n {2,}\| .*\^/);
  });
}
