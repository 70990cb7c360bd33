// ONBUILD triggers: a base image's (or stage's) triggers run as the first steps of the stage on
// it, with the base's env, and are cleared from the new image; triggers docker refuses, and any
// error in a trigger, are shown at the stage's FROM.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDockerfile } from '../../../src/dockerfile/parser.js';
import { convertDockerfile, planBuild } from '../../../src/dockerfile/index.js';
import { kilnRejection } from '../../helpers/errors.js';
import { amd64, busyboxConfig, convert, copies, createdBy, execs, names, pinned } from './convert-helpers.js';

test('a base image\'s triggers run first, set the env the stage sees, and are not inherited', async () => {
  const { conversion, def } = await convert('FROM busybox\nRUN echo "$GREETING" > /own\n', {
    config: { OnBuild: ['ENV GREETING=hi', 'RUN echo "$GREETING" > /greeting', 'COPY app.conf /etc/'] },
  });
  assert.deepEqual(execs(def).map((e) => e.meta.args), [['/bin/sh', '-c', 'echo "$GREETING" > /greeting'], ['/bin/sh', '-c', 'echo "$GREETING" > /own']]);
  assert.ok(execs(def).every((e) => e.meta.env.includes('GREETING=hi')));
  assert.equal(copies(def)[0]?.src, '/app.conf');
  assert.deepEqual(names(def), [
    `[1/4] FROM ${pinned('busybox')}`, '[2/4] RUN echo "hi" > /greeting', '[internal] load build context', '[3/4] COPY app.conf /etc/', '[4/4] RUN echo "hi" > /own',
  ]);
  assert.equal(conversion.config.config?.OnBuild, undefined);
  assert.ok(conversion.config.config?.Env?.includes('GREETING=hi'));
  assert.deepEqual(createdBy(conversion), ['ENV GREETING=hi (empty)', 'RUN /bin/sh -c echo "$GREETING" > /greeting # buildkit', 'COPY app.conf /etc/ # buildkit', 'RUN /bin/sh -c echo "$GREETING" > /own # buildkit']);
});

test('ONBUILD written in a stage runs in the stage built FROM it, not in its own', async () => {
  const { conversion, def } = await convert('FROM busybox AS base\nONBUILD RUN touch /triggered\nRUN true\nFROM base\nRUN ls /\n');
  assert.deepEqual(execs(def).map((e) => e.meta.args.at(-1)), ['true', 'touch /triggered', 'ls /']);
  assert.equal(conversion.config.config?.OnBuild, undefined);
});

test('what a trigger sets reaches the stages built FROM the stage that ran it', async () => {
  const { def } = await convert('FROM busybox AS a\nRUN echo "[$MODE]"\nFROM a AS b\nRUN echo "[$MODE]"\n', { config: { OnBuild: ['ENV MODE=triggered'] } });
  assert.deepEqual(execs(def).map((e) => e.meta.args.at(-1)), ['echo "[$MODE]"', 'echo "[$MODE]"']);
  assert.deepEqual(names(def).filter((n) => n.includes('RUN')), ['[a 2/2] RUN echo "[triggered]"', '[b 1/1] RUN echo "[triggered]"']);
});

async function triggerError(trigger: string) {
  const plan = planBuild(parseDockerfile('# base with a trigger\nFROM busybox\nRUN true\n', { file: 'app/Dockerfile' }), { buildPlatform: amd64, env: {} });
  const err = await kilnRejection(convertDockerfile(plan, { resolveImage: async (ref) => ({ ref: pinned(ref), config: busyboxConfig({ OnBuild: [trigger] }) }) }));
  return { code: err.code, message: err.message, line: err.details.source?.range.start.line, file: err.details.source?.file };
}

test('triggers docker refuses, and broken ones, fail at the stage\'s FROM', async () => {
  for (const [trigger, code, message] of [
    ['FROM alpine', 'INVALID_ARGUMENT', /ONBUILD trigger "FROM alpine" of the base of stage stage-0: FROM isn't allowed as an ONBUILD trigger/],
    ['ONBUILD RUN x', 'INVALID_ARGUMENT', /ONBUILD isn't allowed as an ONBUILD trigger/],
    ['MAINTAINER me', 'INVALID_ARGUMENT', /MAINTAINER isn't allowed as an ONBUILD trigger/],
    ['FETCH x', 'INVALID_ARGUMENT', /unknown instruction: FETCH/],
    ['COPY --from=builder /a /b', 'NOT_IMPLEMENTED', /COPY --from in an ONBUILD trigger is not supported yet/],
    ['ADD git@github.com:moby/buildkit.git /src', 'NOT_IMPLEMENTED', /ADD of a git repository is not supported yet/],
  ] as const) {
    const err = await triggerError(trigger);
    assert.deepEqual([err.code, err.file, err.line], [code, 'app/Dockerfile', 2], trigger);
    assert.match(err.message, message);
  }
});
