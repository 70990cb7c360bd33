// Each build-check rule: it fires where it should, at the right place, with BuildKit's
// message, and stays quiet on the corrected Dockerfile.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allRules } from '../../../src/dockerfile/checks/index.js';
import { check, warningsOf } from './checks-helpers.js';

test('StageNameCasing points at the stage name', async () => {
  assert.deepEqual(await warningsOf('StageNameCasing', 'FROM alpine AS Build\n'), [
    "StageNameCasing@1:16 Stage name 'Build' should be lowercase",
  ]);
  assert.deepEqual(await warningsOf('StageNameCasing', 'FROM alpine AS build\n'), []);
});

test('FromAsCasing compares AS with the FROM keyword, not with a mixed-case one', async () => {
  assert.deepEqual(await warningsOf('FromAsCasing', 'FROM alpine as build\n'), [
    "FromAsCasing@1:1 'as' and 'FROM' keywords' casing do not match",
  ]);
  assert.deepEqual(await warningsOf('FromAsCasing', 'from alpine AS build\n'), [
    "FromAsCasing@1:1 'AS' and 'from' keywords' casing do not match",
  ]);
  assert.deepEqual(await warningsOf('FromAsCasing', 'From alpine as build\n'), []);
  assert.deepEqual(await warningsOf('FromAsCasing', 'FROM alpine AS build\nfrom build as other\n'), []);
});

test('NoEmptyContinuation comes from the parser, once per instruction', async () => {
  const report = await check('FROM alpine\nRUN echo a \\\n\n  b\n');
  const warnings = report.warnings.filter((w) => w.rule === 'NoEmptyContinuation');
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]?.message, 'Empty continuation line');
  const line = warnings[0]?.range.start.line ?? 0;
  assert.ok(line >= 2 && line <= 4, `line ${line} is within the RUN`);
  assert.deepEqual(await warningsOf('NoEmptyContinuation', 'FROM alpine\nRUN echo a \\\n  b\n'), []);
});

test('ConsistentInstructionCasing follows the majority, a tie counting as upper-case', async () => {
  assert.deepEqual(await warningsOf('ConsistentInstructionCasing', 'FROM alpine\nrun echo\nRUN echo\n'), [
    "ConsistentInstructionCasing@2:1 Command 'run' should match the case of the command majority (uppercase)",
  ]);
  assert.deepEqual(await warningsOf('ConsistentInstructionCasing', 'from alpine\nrun echo\nRUN echo\n'), [
    "ConsistentInstructionCasing@3:1 Command 'RUN' should match the case of the command majority (lowercase)",
  ]);
  assert.deepEqual(await warningsOf('ConsistentInstructionCasing', 'FROM alpine\nRun echo\n'), [
    "ConsistentInstructionCasing@2:1 Command 'Run' should match the case of the command majority (uppercase)",
  ]);
  assert.deepEqual(await warningsOf('ConsistentInstructionCasing', 'from alpine\nrun echo\n'), []);
});

test('ConsistentInstructionCasing ignores the global ARGs before the first FROM, as BuildKit does', async () => {
  assert.deepEqual(await warningsOf('ConsistentInstructionCasing', 'arg V=1\nFROM alpine\nRUN echo\n'), []);
});

test('DuplicateStageName and ReservedStageName point at the name', async () => {
  assert.deepEqual(await warningsOf('DuplicateStageName', 'FROM alpine AS app\nFROM busybox AS App\n'), [
    'DuplicateStageName@2:17 Duplicate stage name "app", stage names should be unique',
  ]);
  assert.deepEqual(await warningsOf('ReservedStageName', 'FROM alpine AS context\nFROM alpine AS scratch\n'), [
    'ReservedStageName@1:16 Stage name should not use the same name as reserved stage "context"',
    'ReservedStageName@2:16 Stage name should not use the same name as reserved stage "scratch"',
  ]);
  assert.deepEqual(await warningsOf('DuplicateStageName', 'FROM alpine AS a\nFROM alpine AS b\n'), []);
});

test('JSONArgsRecommended fires for shell-form CMD and ENTRYPOINT unless a SHELL is set', async () => {
  assert.deepEqual(await warningsOf('JSONArgsRecommended', 'FROM alpine\nENTRYPOINT my-app\ncmd serve\n'), [
    'JSONArgsRecommended@2:1 JSON arguments recommended for ENTRYPOINT to prevent unintended behavior related to OS signals',
    'JSONArgsRecommended@3:1 JSON arguments recommended for cmd to prevent unintended behavior related to OS signals',
  ]);
  assert.deepEqual(await warningsOf('JSONArgsRecommended', 'FROM alpine\nCMD ["serve"]\n'), []);
  assert.deepEqual(await warningsOf('JSONArgsRecommended', 'FROM alpine\nSHELL ["/bin/bash", "-c"]\nCMD serve\n'), []);
  assert.deepEqual(await warningsOf('JSONArgsRecommended', 'FROM alpine AS base\nSHELL ["/bin/bash", "-c"]\nFROM base\nCMD serve\n'), []);
  assert.deepEqual(await warningsOf('JSONArgsRecommended', 'FROM alpine\nCMD serve\nSHELL ["/bin/bash", "-c"]\n'), [
    'JSONArgsRecommended@2:1 JSON arguments recommended for CMD to prevent unintended behavior related to OS signals',
  ]);
});

test('MaintainerDeprecated', async () => {
  assert.deepEqual(await warningsOf('MaintainerDeprecated', 'FROM alpine\nMAINTAINER me\n'), [
    'MaintainerDeprecated@2:1 Maintainer instruction is deprecated in favor of using label',
  ]);
  assert.deepEqual(await warningsOf('MaintainerDeprecated', 'FROM alpine\nLABEL org.opencontainers.image.authors=me\n'), []);
});

test('UndefinedArgInFrom points at the image or the platform, suggesting a declared name', async () => {
  assert.deepEqual(await warningsOf('UndefinedArgInFrom', 'FROM alpine:${TAG:-3.20}\n'), [
    "UndefinedArgInFrom@1:6 FROM argument 'TAG' is not declared",
  ]);
  assert.deepEqual(await warningsOf('UndefinedArgInFrom', 'ARG VERSION=3.20\nFROM alpine:${VERSON:-3}\n'), [
    "UndefinedArgInFrom@2:6 FROM argument 'VERSON' is not declared (did you mean VERSION?)",
  ]);
  assert.deepEqual(await warningsOf('UndefinedArgInFrom', 'FROM --platform=${BUILDPLATFROM:-linux/amd64} alpine\n'), [
    "UndefinedArgInFrom@1:6 FROM argument 'BUILDPLATFROM' is not declared (did you mean BUILDPLATFORM?)",
  ]);
  assert.deepEqual(await warningsOf('UndefinedArgInFrom', 'ARG TAG\nFROM alpine:${TAG:-3.20}\nFROM --platform=$BUILDPLATFORM alpine\n'), []);
});

test('WorkdirRelativePath fires for the first WORKDIR of a chain of stages only', async () => {
  assert.deepEqual(await warningsOf('WorkdirRelativePath', 'FROM alpine\nWORKDIR app\nWORKDIR sub\n'), [
    'WorkdirRelativePath@2:1 Relative workdir "app" can have unexpected results if the base image changes',
  ]);
  assert.deepEqual(await warningsOf('WorkdirRelativePath', 'FROM alpine\nWORKDIR /app\nWORKDIR sub\n'), []);
  assert.deepEqual(await warningsOf('WorkdirRelativePath', 'FROM alpine AS base\nWORKDIR /app\nFROM base\nWORKDIR sub\n'), []);
  assert.deepEqual(await warningsOf('WorkdirRelativePath', 'FROM alpine\nENV DIR=/srv\nWORKDIR $DIR/app\n'), []);
});

test('UndefinedVar reports expanded words, not shell commands, with a did-you-mean', async () => {
  assert.deepEqual(await warningsOf('UndefinedVar', 'FROM alpine\nENV PATH=$PAHT:/app/bin\n'), [
    "UndefinedVar@2:1 Usage of undefined variable '$PAHT' (did you mean $PATH?)",
  ]);
  assert.deepEqual(await warningsOf('UndefinedVar', 'FROM alpine\nCOPY $src $src /dst/\n'), [
    "UndefinedVar@2:1 Usage of undefined variable '$src'",
  ]);
  assert.deepEqual(await warningsOf('UndefinedVar', 'FROM alpine\nRUN echo $undefined_in_shell\nCMD echo $too\n'), []);
  assert.deepEqual(await warningsOf('UndefinedVar', 'FROM alpine\nARG src\nCOPY $src /dst/\n'), []);
  assert.deepEqual(await warningsOf('UndefinedVar', 'FROM alpine AS base\nENV DIR=/srv\nFROM base\nWORKDIR $DIR\n'), []);
});

test('UndefinedVar in ARG defaults: earlier names of the line are declared, the name itself is not', async () => {
  assert.deepEqual(await warningsOf('UndefinedVar', 'FROM alpine\nARG A B=$A\n'), []);
  assert.deepEqual(await warningsOf('UndefinedVar', 'FROM alpine\nARG A=$A\n'), [
    "UndefinedVar@2:1 Usage of undefined variable '$A'",
  ]);
});

test('UndefinedVar knows the base image env when the caller resolved it', async () => {
  const text = 'FROM golang:1.22\nENV PATH=$GOPATH/bin:$PATH\n';
  assert.deepEqual(await warningsOf('UndefinedVar', text), ["UndefinedVar@2:1 Usage of undefined variable '$GOPATH' (did you mean $PATH?)"]);
  const imageEnv = (): [string, string][] => [['GOPATH', '/go'], ['PATH', '/usr/bin']];
  assert.deepEqual(await warningsOf('UndefinedVar', text, { imageEnv }), []);
});

test('MultipleInstructionsDisallowed points at the instruction that will be ignored', async () => {
  assert.deepEqual(await warningsOf('MultipleInstructionsDisallowed', 'FROM alpine\nCMD ["a"]\nCMD ["b"]\nHEALTHCHECK NONE\nHEALTHCHECK CMD ["true"]\n'), [
    'MultipleInstructionsDisallowed@2:1 Multiple CMD instructions should not be used in the same stage because only the last one will be used',
    'MultipleInstructionsDisallowed@4:1 Multiple HEALTHCHECK instructions should not be used in the same stage because only the last one will be used',
  ]);
  assert.deepEqual(await warningsOf('MultipleInstructionsDisallowed', 'FROM alpine AS base\nCMD ["a"]\nFROM base\nCMD ["b"]\nENTRYPOINT ["x"]\n'), []);
});

test('LegacyKeyValueFormat for ENV and LABEL', async () => {
  assert.deepEqual(await warningsOf('LegacyKeyValueFormat', 'FROM alpine\nENV LANG C.UTF-8\nlabel version 1\n'), [
    'LegacyKeyValueFormat@2:1 "ENV key=value" should be used instead of legacy "ENV key value" format',
    'LegacyKeyValueFormat@3:1 "label key=value" should be used instead of legacy "label key value" format',
  ]);
  assert.deepEqual(await warningsOf('LegacyKeyValueFormat', 'FROM alpine\nENV LANG=C.UTF-8\nLABEL version=1\n'), []);
});

test('RedundantTargetPlatform and FromPlatformFlagConstDisallowed point at --platform', async () => {
  assert.deepEqual(await warningsOf('RedundantTargetPlatform', 'FROM --platform=${TARGETPLATFORM} alpine\n'), [
    'RedundantTargetPlatform@1:6 Setting platform to predefined ${TARGETPLATFORM} in FROM is redundant as this is the default behavior',
  ]);
  assert.deepEqual(await warningsOf('RedundantTargetPlatform', 'FROM --platform=$BUILDPLATFORM alpine\n'), []);
  assert.deepEqual(await warningsOf('FromPlatformFlagConstDisallowed', 'FROM --platform=linux/amd64 alpine AS build\n'), [
    'FromPlatformFlagConstDisallowed@1:6 FROM --platform flag should not use constant value "linux/amd64"',
  ]);
  assert.deepEqual(await warningsOf('FromPlatformFlagConstDisallowed', 'FROM --platform=linux/amd64 alpine AS build-amd64\n'), []);
  assert.deepEqual(await warningsOf('FromPlatformFlagConstDisallowed', 'FROM --platform=windows/arm64 alpine AS windows\n'), []);
});

test('SecretsUsedInArgOrEnv looks at stage ARG and ENV names, not global ARGs', async () => {
  const text = 'ARG GITHUB_TOKEN\nFROM alpine\nARG API_KEY PUBLIC_KEY\nENV DB_PASSWORD=x AUTH=y KEY_FILE=z MONKEY=m\n';
  assert.deepEqual(await warningsOf('SecretsUsedInArgOrEnv', text), [
    'SecretsUsedInArgOrEnv@3:1 Do not use ARG or ENV instructions for sensitive data (ARG "API_KEY")',
    'SecretsUsedInArgOrEnv@4:1 Do not use ARG or ENV instructions for sensitive data (ENV "DB_PASSWORD")',
    'SecretsUsedInArgOrEnv@4:1 Do not use ARG or ENV instructions for sensitive data (ENV "AUTH")',
  ]);
});

test('InvalidDefaultArgInFrom judges the defaults, whatever the build-args', async () => {
  const text = 'ARG IMAGE\nFROM $IMAGE\n';
  assert.deepEqual(await warningsOf('InvalidDefaultArgInFrom', text, { buildArgs: { IMAGE: 'alpine' } }), [
    'InvalidDefaultArgInFrom@2:6 Default value for ARG $IMAGE results in empty or invalid base image name',
  ]);
  assert.deepEqual(await warningsOf('InvalidDefaultArgInFrom', 'ARG TAG\nFROM alpine:$TAG\n', { buildArgs: { TAG: '3' } }), [
    'InvalidDefaultArgInFrom@2:6 Default value for ARG alpine:$TAG results in empty or invalid base image name',
  ]);
  assert.deepEqual(await warningsOf('InvalidDefaultArgInFrom', 'ARG IMAGE=alpine\nFROM $IMAGE\n'), []);
});

test('ExposeProtoCasing and ExposeInvalidFormat look at each port', async () => {
  const text = 'FROM alpine\nEXPOSE 80/TCP 127.0.0.1:8080:80 9000:9000 443\n';
  const report = await check(text);
  assert.deepEqual(report.warnings.map((w) => `${w.rule}@${w.range.start.line} ${w.message}`), [
    "ExposeInvalidFormat@2 EXPOSE instruction should not define an IP address or host-port mapping, found '127.0.0.1:8080:80'",
    "ExposeProtoCasing@2 Defined protocol '80/TCP' in EXPOSE instruction should be lowercase",
    "ExposeInvalidFormat@2 EXPOSE instruction should not define an IP address or host-port mapping, found '9000:9000'",
  ]);
  assert.deepEqual((await check('FROM alpine\nEXPOSE 80/tcp 443 53/udp\n')).warnings, []);
});

test('InvalidDefinitionDescription is experimental: it runs only when enabled', async () => {
  const text = '# a note\nFROM alpine AS base\n# the version\nARG VERSION=1\n';
  assert.deepEqual(await warningsOf('InvalidDefinitionDescription', text), []);
  const enabled = `# check=experimental=InvalidDefinitionDescription\n\n${text}`;
  const report = await check(enabled);
  assert.deepEqual(report.warnings.map((w) => `${w.rule}@${w.range.start.line}:${w.range.start.column} ${w.message}`), [
    'InvalidDefinitionDescription@4:1 Comment for FROM should follow the format: `# base <description>`',
    'InvalidDefinitionDescription@6:1 Comment for ARG should follow the format: `# VERSION <description>`',
  ]);
  assert.ok(report.warnings.every((w) => w.experimental));
  const good = '# check=experimental=all\n\n# base builds things\nFROM alpine AS base\n# A and B\nARG A B\n# VERSION of the app\nARG VERSION=1\n';
  assert.deepEqual(await warningsOf('InvalidDefinitionDescription', good), []);
  assert.deepEqual(await warningsOf('InvalidDefinitionDescription', '# check=experimental=all\n\n# two\nARG A B\nFROM alpine\n'), [
    'InvalidDefinitionDescription@4:1 Comment for ARG should follow the format: `# <arg_key> <description>`',
  ]);
});

const contexts: string[] = [];
after(() => contexts.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function contextWith(ignore: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-checks-'));
  contexts.push(dir);
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, '.dockerignore'), ignore);
  return dir;
}

test('CopyIgnoredFile flags context sources that .dockerignore excludes', async () => {
  const contextDir = contextWith('secrets\n*.log\n');
  const text = 'FROM alpine AS a\nCOPY src/ secrets/key /dst/\nADD ./app.log /logs/\nADD https://example.com/x.log /tmp/\nFROM alpine\nCOPY --from=a secrets/key /key\n';
  assert.deepEqual(await warningsOf('CopyIgnoredFile', text, { contextDir }), [
    'CopyIgnoredFile@2:1 Attempting to Copy file "secrets/key" that is excluded by .dockerignore',
    'CopyIgnoredFile@3:1 Attempting to Add file "app.log" that is excluded by .dockerignore',
  ]);
  assert.deepEqual(await warningsOf('CopyIgnoredFile', text), [], 'without a context there is nothing to check');
  assert.deepEqual(await warningsOf('CopyIgnoredFile', 'FROM alpine\nCOPY . /app\n', { contextDir }), []);
  assert.deepEqual(await warningsOf('CopyIgnoredFile', 'FROM alpine\nCOPY . /app\n', { contextDir: contextWith('*\n') }), [
    'CopyIgnoredFile@2:1 Attempting to Copy file "." that is excluded by .dockerignore',
  ]);
});

test('CopyIgnoredFile is not checked when .dockerignore re-includes with !', async () => {
  const contextDir = contextWith('secrets\n!secrets/public\n');
  assert.deepEqual(await warningsOf('CopyIgnoredFile', 'FROM alpine\nCOPY secrets/key /key\n', { contextDir }), []);
});

test('a clean Dockerfile draws no warning', async () => {
  const text = 'FROM alpine:3.20 AS build\nWORKDIR /src\nCOPY . .\nRUN make\n\nFROM alpine:3.20\nCOPY --from=build /src/app /usr/local/bin/app\nENTRYPOINT ["app"]\n';
  assert.deepEqual((await check(text)).warnings, []);
});

test('every stage is checked without a target; with one, only its stages are dispatched', async () => {
  const text = 'FROM alpine AS Unused\nCMD echo unused\n\nFROM alpine AS app\nCMD echo app\n';
  const all = await check(text);
  assert.deepEqual(all.warnings.map((w) => `${w.rule}@${w.range.start.line}`), [
    'StageNameCasing@1', 'JSONArgsRecommended@2', 'JSONArgsRecommended@5',
  ]);
  const targeted = await check(text, { target: 'app' });
  assert.deepEqual(targeted.warnings.map((w) => `${w.rule}@${w.range.start.line}`), ['StageNameCasing@1', 'JSONArgsRecommended@5']);
});

test('warnings are sorted by position and carry the rule metadata and file', async () => {
  const report = await check('FROM alpine as base\nMAINTAINER me\nCMD run\n');
  assert.deepEqual(report.warnings.map((w) => w.rule), ['FromAsCasing', 'MaintainerDeprecated', 'JSONArgsRecommended']);
  const first = report.warnings[0];
  assert.equal(first?.file, 'Dockerfile');
  assert.equal(first?.url, 'https://docs.docker.com/go/dockerfile/rule/from-as-casing/');
  assert.equal(first?.description, "The 'as' keyword should match the case of the 'from' keyword");
  assert.equal(first?.experimental, false);
  assert.equal(report.failed, false);
});

test('rule URLs are BuildKit\'s', () => {
  const urls = Object.fromEntries(allRules.map((r) => [r.name, r.url.replace('https://docs.docker.com/go/dockerfile/rule/', '')]));
  assert.deepEqual(urls, {
    StageNameCasing: 'stage-name-casing/', FromAsCasing: 'from-as-casing/', NoEmptyContinuation: 'no-empty-continuation/',
    ConsistentInstructionCasing: 'consistent-instruction-casing/', DuplicateStageName: 'duplicate-stage-name/',
    ReservedStageName: 'reserved-stage-name/', JSONArgsRecommended: 'json-args-recommended/',
    MaintainerDeprecated: 'maintainer-deprecated/', UndefinedArgInFrom: 'undefined-arg-in-from/',
    WorkdirRelativePath: 'workdir-relative-path/', UndefinedVar: 'undefined-var/',
    MultipleInstructionsDisallowed: 'multiple-instructions-disallowed/', LegacyKeyValueFormat: 'legacy-key-value-format/',
    RedundantTargetPlatform: 'redundant-target-platform/', SecretsUsedInArgOrEnv: 'secrets-used-in-arg-or-env/',
    InvalidDefaultArgInFrom: 'invalid-default-arg-in-from/', FromPlatformFlagConstDisallowed: 'from-platform-flag-const-disallowed/',
    CopyIgnoredFile: 'copy-ignored-file/', InvalidDefinitionDescription: 'invalid-definition-description/',
    ExposeProtoCasing: 'expose-proto-casing/', ExposeInvalidFormat: 'expose-invalid-format/',
  });
  assert.deepEqual(allRules.filter((r) => r.experimental).map((r) => r.name), ['InvalidDefinitionDescription']);
});
