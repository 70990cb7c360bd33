// Golden outputs of the build checks: each fixtures/dockerfile/checks/<case>/ holds a
// Dockerfile (and optionally a .dockerignore, the case directory being the build context,
// and an options.json with `target` and `buildArgs`); output.txt is what
// `kiln dockerfile check` prints. Regenerate with UPDATE_GOLDEN=1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDockerfile } from '../../../src/dockerfile/parser.js';
import { formatCheckReport, runChecks, type RunChecksOptions } from '../../../src/dockerfile/checks/index.js';

const root = fileURLToPath(new URL('../../../fixtures/dockerfile/checks/', import.meta.url));
const update = process.env['UPDATE_GOLDEN'] === '1';
const cases = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

test('the golden cases are there', () => {
  assert.ok(cases.length >= 8, `found ${cases.length} cases in ${root}`);
});

for (const name of cases) {
  test(`golden: ${name}`, async () => {
    const dir = join(root, name);
    const dockerfile = join(dir, 'Dockerfile');
    const ast = parseDockerfile(readFileSync(dockerfile, 'utf8'), { file: 'Dockerfile' });
    const optionsFile = join(dir, 'options.json');
    const extra = existsSync(optionsFile) ? (JSON.parse(readFileSync(optionsFile, 'utf8')) as RunChecksOptions) : {};
    const report = await runChecks(ast, { ...extra, contextDir: dir, dockerfilePath: dockerfile });
    const output = formatCheckReport(report, ast);
    const golden = join(dir, 'output.txt');
    if (update) writeFileSync(golden, output);
    assert.equal(output, readFileSync(golden, 'utf8'));
  });
}
