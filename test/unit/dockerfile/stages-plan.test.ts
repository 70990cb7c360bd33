// Build planning: targets, pruning, dependency order, stage references, cycles, images.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kilnErrorOf } from '../../helpers/errors.js';
import { parseDockerfile } from '../../../src/dockerfile/parser.js';
import { planBuild, summarizePlan, type BuildPlan, type PlanOptions } from '../../../src/dockerfile/instructions/index.js';
import type { KilnError } from '../../../src/util/errors.js';

const amd64 = { os: 'linux', architecture: 'amd64' };

function plan(text: string, options: PlanOptions = {}): BuildPlan {
  return planBuild(parseDockerfile(text), { buildPlatform: amd64, env: {}, ...options });
}

function planError(text: string, options: PlanOptions = {}): KilnError {
  return kilnErrorOf(() => plan(text, options));
}

const names = (p: BuildPlan): string[] => p.stages.map((s) => s.displayName);

const multi = `
FROM alpine AS base
RUN true
FROM base AS build
RUN make
FROM golang AS tools
FROM base AS test
COPY --from=build /out /out
FROM scratch AS release
COPY --from=build /out /app
`;

test('the default target is the last stage; unused stages are pruned', () => {
  const p = plan(multi);
  assert.equal(p.target.displayName, 'release');
  assert.deepEqual(names(p), ['base', 'build', 'release']);
  assert.deepEqual(p.parsed.stages.map((s) => s.name), ['base', 'build', 'tools', 'test', 'release']);
  assert.deepEqual(p.images, ['alpine']);
});

test('--target picks a stage by name, case-insensitively', () => {
  assert.deepEqual(names(plan(multi, { target: 'test' })), ['base', 'build', 'test']);
  assert.deepEqual(names(plan(multi, { target: 'TOOLS' })), ['tools']);
  assert.deepEqual(names(plan(multi, { target: 'base' })), ['base']);
});

test('an unknown --target lists the stages and suggests one', () => {
  const err = planError(multi, { target: 'relase' });
  assert.equal(err.message, 'target stage "relase" could not be found');
  assert.equal(err.hint, 'did you mean release? stages: base, build, tools, test, release');
  assert.equal(err.details.flag, '--target');
  assert.equal(err.details.source, undefined);
});

test('allStages plans every stage (for checks)', () => {
  assert.deepEqual(names(plan(multi, { allStages: true })), ['base', 'build', 'tools', 'test', 'release']);
});

test('bases: a stage, scratch or an image; deps record how stages are used', () => {
  const p = plan(multi, { target: 'test' });
  const [base, build, testStage] = p.stages;
  assert.deepEqual(base?.base, { kind: 'image', ref: 'alpine' });
  assert.deepEqual(build?.base, { kind: 'stage', index: 0, name: 'base' });
  assert.deepEqual(testStage?.deps.map((d) => [d.kind, d.kind === 'stage' ? d.index : d.ref, d.via]), [['stage', 0, 'from'], ['stage', 1, 'copy']]);
  assert.deepEqual(plan(multi).target.base, { kind: 'scratch' });
});

test('COPY --from by index, and an image name as an implicit stage', () => {
  const p = plan('FROM alpine\nRUN true\nFROM scratch\nCOPY --from=0 /a /a\nCOPY --from=busybox:1.36 /bin/busybox /bin/\n');
  assert.deepEqual(names(p), ['stage-0', 'stage-1']);
  assert.deepEqual(p.target.deps.map((d) => (d.kind === 'stage' ? d.index : d.ref)), [0, 'busybox:1.36']);
  assert.deepEqual(p.images, ['alpine', 'busybox:1.36']);
});

test('RUN --mount from= a stage makes it a dependency; bind mounts without from do not', () => {
  const p = plan('FROM alpine AS assets\nRUN true\nFROM alpine AS skip\nFROM alpine\nRUN --mount=from=assets,target=/a --mount=type=bind,target=/ctx ls\n');
  assert.deepEqual(names(p), ['assets', 'stage-2']);
  const run = p.target.dispatch.steps[0];
  assert.deepEqual(run?.mounts.map((m) => [m.type, m.from, m.target]), [['bind', 'assets', '/a'], ['bind', undefined, '/ctx']]);
});

test('FROM names only earlier stages: a later name is an image, as in BuildKit', () => {
  const p = plan('FROM later AS first\nFROM alpine AS later\n', { target: 'first' });
  assert.deepEqual(p.target.base, { kind: 'image', ref: 'later' });
  const self = plan('FROM alpine AS a\nFROM a AS a\n');
  assert.deepEqual(self.target.base, { kind: 'stage', index: 0, name: 'a' });
});

test('copying from a later stage is refused at the COPY', () => {
  const err = planError('FROM alpine AS a\nCOPY --from=b /x /x\nFROM alpine AS b\nRUN true\n', { target: 'a' });
  assert.equal(err.message, 'cannot copy from stage "b", it needs to be defined before current stage "a"');
  assert.equal(err.details.source?.range.start.line, 2);
  assert.equal(err.hint, 'move stage "b" above stage "a"');
  const mount = planError('FROM alpine AS a\nRUN --mount=from=b,target=/b true\nFROM alpine AS b\n', { target: 'a' });
  assert.match(mount.message, /cannot mount from stage "b"/);
});

test('cycles are refused naming the stages involved', () => {
  const err = planError('FROM alpine AS a\nCOPY --from=b /x /x\nFROM alpine AS b\nCOPY --from=a /y /y\n');
  assert.equal(err.message, 'circular dependency detected on stage: a (a -> b -> a)');
  assert.equal(err.details.source?.range.start.line, 2);
  const self = planError('FROM alpine AS a\nCOPY --from=a /x /y\n');
  assert.equal(self.message, 'circular dependency detected on stage: a (a -> a)');
});

test('cycles are refused even in stages the target does not need', () => {
  const err = planError('FROM alpine AS a\nCOPY --from=b /x /x\nFROM alpine AS b\nCOPY --from=a /y /y\nFROM alpine AS c\n');
  assert.match(err.message, /circular dependency/);
});

test('--from cannot use variables, and indexes must exist', () => {
  const err = planError('ARG S=build\nFROM alpine AS build\nFROM alpine\nCOPY --from=$S /a /a\n');
  assert.match(err.message, /^variable expansion is not supported for --from/);
  assert.match(err.hint ?? '', /define a new stage with FROM/);
  assert.match(planError('FROM alpine\nCOPY --from=5 /a /a\n').message, /invalid stage index 5/);
  assert.match(planError('FROM alpine\nCOPY --from=-1 /a /a\n').message, /invalid stage index -1/);
});

test('base images are checked as references', () => {
  const err = planError('FROM Ubuntu:22.04\n');
  assert.equal(err.message, 'invalid image reference "Ubuntu:22.04": repository name must be lowercase');
  assert.deepEqual(err.details.source?.range.start, { line: 1, column: 6 });
  assert.match(planError('FROM alpine\nCOPY --from=Bad:Ref /a /a\n').message, /neither a stage nor a valid image reference/);
});

test('a single-stage Dockerfile is stage-0 and is the target', () => {
  const p = plan('FROM alpine\nRUN echo\n');
  assert.equal(p.target.displayName, 'stage-0');
  assert.equal(p.target.name, undefined);
  assert.equal(p.target.range.start.line, 1);
});

test('instructions before the first FROM other than ARG, and files without FROM', () => {
  const err = planError('RUN echo hi\nFROM alpine\n');
  assert.match(err.message, /RUN before the first FROM/);
  assert.match(planError('ARG A=1\n').message, /the Dockerfile contains no stages to build/);
});

test('the example Dockerfile of the README plans build and release', () => {
  const text = `# syntax=docker/dockerfile:1
ARG BASE=busybox:1.36

FROM \${BASE} AS base
WORKDIR /app
ENV APP_HOME=/app

FROM base AS build
ARG VERSION=1.0.0
RUN --mount=type=cache,target=/root/.cache <<EOF
set -e
echo "version \${VERSION}" > out/version.txt
EOF

FROM base AS docs
COPY <<EOF /app/README.txt
kiln example
EOF

FROM \${BASE} AS release
COPY --from=build /app/out/ /srv/
USER 1000:1000
EXPOSE 8080/tcp
CMD ["cat", "/srv/version.txt"]
`;
  const p = plan(text);
  assert.deepEqual(names(p), ['base', 'build', 'release']);
  assert.deepEqual(p.images, ['busybox:1.36']);
  assert.equal(p.frontend.source, 'directive');
  assert.equal(p.target.dispatch.final.env.get('PATH'), '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  const build = p.stages[1];
  assert.equal(build?.dispatch.final.env.get('APP_HOME'), '/app');
  assert.equal(build?.dispatch.final.env.get('VERSION'), '1.0.0');
});

test('summarizePlan gives a plain JSON view of the plan', () => {
  const summary = summarizePlan(plan(multi, { target: 'test', platform: 'linux/arm64' }));
  assert.deepEqual(summary.stages.map((s) => [s.displayName, s.baseKind, s.base, s.dependsOn, s.line, s.commands]), [
    ['base', 'image', 'alpine', [], 2, 1],
    ['build', 'stage', 'base', ['base'], 4, 1],
    ['test', 'stage', 'base', ['base', 'build'], 7, 1],
  ]);
  assert.equal(summary.target, 'test');
  assert.equal(summary.targetPlatform, 'linux/arm64');
  assert.equal(summary.buildPlatform, 'linux/amd64');
  assert.deepEqual(summary.images, ['alpine']);
});
