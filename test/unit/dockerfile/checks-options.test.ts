// `# check=` settings: the file directive, the BUILDKIT_DOCKERFILE_CHECK build-arg, and the
// comments that scope settings to one instruction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCheckOptions, CheckOptionError, lintViolationError } from '../../../src/dockerfile/checks/index.js';
import { formatError } from '../../../src/util/format-error.js';
import { isKilnError, type KilnError } from '../../../src/util/errors.js';
import { brief, check } from './checks-helpers.js';

const noisy = 'FROM alpine as base\nMAINTAINER me\nCMD run\n';

async function checkError(text: string, buildArgs: Record<string, string> = {}): Promise<KilnError> {
  try {
    await check(text, { buildArgs });
  } catch (err) {
    if (isKilnError(err)) return err;
    throw err;
  }
  assert.fail('expected the check to fail');
}

test('parseCheckOptions reads skip, error and experimental', () => {
  const config = parseCheckOptions('skip=JSONArgsRecommended, StageNameCasing;error=true;experimental=all');
  assert.deepEqual([...config.skip], ['JSONArgsRecommended', 'StageNameCasing']);
  assert.equal(config.skipAll, false);
  assert.equal(config.error, true);
  assert.equal(config.experimentalAll, true);
  assert.equal(parseCheckOptions('skip=all').skipAll, true);
  assert.equal(parseCheckOptions('error=0').error, false);
  assert.equal(parseCheckOptions('error=T').error, true);
  assert.equal(parseCheckOptions('').error, false);
});

test('parseCheckOptions rejects what BuildKit rejects', () => {
  assert.throws(() => parseCheckOptions('skip'), CheckOptionError);
  assert.throws(() => parseCheckOptions('ignore=all'), /invalid check option "ignore"/);
  assert.throws(() => parseCheckOptions('error=maybe'), /failed to parse check option "error=maybe"/);
  assert.throws(() => parseCheckOptions('skip=A;'), /invalid check option ""/);
});

test('no directive: every non-experimental rule runs and nothing fails', async () => {
  const report = await check(noisy);
  assert.deepEqual(report.warnings.map((w) => w.rule), ['FromAsCasing', 'MaintainerDeprecated', 'JSONArgsRecommended']);
  assert.equal(report.failed, false);
});

test('check=skip=<rules> and check=skip=all', async () => {
  const skipped = await check(`# check=skip=FromAsCasing,JSONArgsRecommended\n${noisy}`);
  assert.deepEqual(skipped.warnings.map((w) => w.rule), ['MaintainerDeprecated']);
  assert.deepEqual((await check(`# check=skip=all\n${noisy}`)).warnings, []);
});

test('check=error=true fails when there are warnings, and only then', async () => {
  const report = await check(`# check=error=true\n${noisy}`);
  assert.equal(report.failed, true);
  const err = lintViolationError(report);
  assert.equal(err.message, 'lint violation found for rules: FromAsCasing, MaintainerDeprecated, JSONArgsRecommended');
  assert.equal(err.exitCode, 1);
  assert.match(formatError(err), /hint: .*check=error=true/);
  assert.equal((await check('# check=error=true\nFROM alpine\nCMD ["run"]\n')).failed, false);
  assert.equal((await check(`# check=skip=all;error=true\n${noisy}`)).failed, false);
});

test('an experimental rule runs when named, even under skip=all', async () => {
  const text = '# check=skip=all;experimental=InvalidDefinitionDescription\n\n# not a description\nFROM alpine AS base\nMAINTAINER me\n';
  assert.deepEqual((await check(text)).warnings.map((w) => w.rule), ['InvalidDefinitionDescription']);
});

test('a malformed directive fails the check at the directive', async () => {
  const err = await checkError(`# check=skip=A; error=true\n${noisy}`);
  assert.equal(err.message, 'failed to parse check options: invalid check option ""');
  assert.equal(err.details.source?.range.start.line, 1);
  assert.match(formatError(err), /^Dockerfile:1:\d+: failed to parse check options/);
});

test('BUILDKIT_DOCKERFILE_CHECK replaces the directive', async () => {
  const text = `# check=skip=all\n${noisy}`;
  const report = await check(text, { buildArgs: { BUILDKIT_DOCKERFILE_CHECK: 'skip=MaintainerDeprecated; error=true' } });
  assert.deepEqual(report.warnings.map((w) => w.rule), ['FromAsCasing', 'JSONArgsRecommended']);
  assert.equal(report.failed, true);
  const err = await checkError(noisy, { BUILDKIT_DOCKERFILE_CHECK: 'bogus' });
  assert.equal(err.message, 'failed to parse BUILDKIT_DOCKERFILE_CHECK: invalid check option "bogus"');
  assert.equal(err.details.flag, '--build-arg');
});

test('a check= comment above an instruction skips rules for that instruction only', async () => {
  const text = 'FROM alpine\n# check=skip=JSONArgsRecommended\nCMD one\nFROM alpine\nCMD two\n';
  assert.deepEqual(brief(await check(text)), [
    'JSONArgsRecommended@5:1 JSON arguments recommended for CMD to prevent unintended behavior related to OS signals',
  ]);
});

test('a check= comment applies to every rule reported at its instruction', async () => {
  const text = 'FROM alpine\n# some words first\n# check=skip=all\nrun echo $X\nENV K V\n';
  assert.deepEqual(brief(await check(text)).map((w) => w.split(' ')[0]), ['LegacyKeyValueFormat@5:1']);
});

test('a check= comment adds to the file settings and cannot turn error on', async () => {
  const text = '# check=skip=MaintainerDeprecated\nFROM alpine\n# check=skip=JSONArgsRecommended;error=true\nCMD run\nMAINTAINER me\n';
  const report = await check(text);
  assert.deepEqual(report.warnings, []);
  assert.equal(report.failed, false);
});

test('with error=true, warnings under a comment scope still fail the build', async () => {
  const text = '# check=error=true\nFROM alpine\n# check=skip=MaintainerDeprecated\nCMD run\n';
  const report = await check(text);
  assert.deepEqual(report.warnings.map((w) => w.rule), ['JSONArgsRecommended']);
  assert.equal(report.failed, true);
});

test('a malformed check= comment is ignored, as BuildKit ignores it', async () => {
  const text = 'FROM alpine\n# check=skip=JSONArgsRecommended; error=true\nCMD run\n';
  assert.deepEqual((await check(text)).warnings.map((w) => w.rule), ['JSONArgsRecommended']);
});

test('MultipleInstructionsDisallowed follows the comment above the later instruction', async () => {
  const skippedAtLater = 'FROM alpine\nCMD ["a"]\n# check=skip=MultipleInstructionsDisallowed\nCMD ["b"]\n';
  assert.deepEqual((await check(skippedAtLater)).warnings, []);
  const skippedAtEarlier = 'FROM alpine\n# check=skip=MultipleInstructionsDisallowed\nCMD ["a"]\nCMD ["b"]\n';
  assert.deepEqual((await check(skippedAtEarlier)).warnings.map((w) => w.rule), ['MultipleInstructionsDisallowed']);
});
