// The whole frontend on arbitrary Dockerfile-shaped input: parse, plan every stage, and run
// the checks. Whatever the input, the outcome is a result or a located KilnError, never
// another exception (which the CLI would have to report as an internal error).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseDockerfile, planBuild, runChecks } from '../../../src/dockerfile/index.js';
import { isKilnError } from '../../../src/util/errors.js';

const keywords = ['RUN', 'COPY', 'ADD', 'ARG', 'ENV', 'LABEL', 'WORKDIR', 'USER', 'CMD', 'ENTRYPOINT',
  'EXPOSE', 'VOLUME', 'SHELL', 'STOPSIGNAL', 'HEALTHCHECK', 'ONBUILD', 'MAINTAINER', 'run', 'FROM'];
const words = ['busybox', 'scratch', 'AS', 'base', 'b2', '0', '1', '$A', '${A:-x}', '${B?}', '"q"', "'s'",
  '--from=base', '--from=0', '--from=b2', '--mount=type=cache,target=/c', '--mount=type=bind,from=base,target=/b',
  '--platform=$BUILDPLATFORM', '--chown=1:1', '--chmod=755', '--link', '--network=none', '--interval=5s',
  'A=1', 'B=${A}', '["sh","-c","x"]', '[1]', '<<EOF', '/dst/', 'src', '80/tcp', 'CMD', 'NONE', '\\', '#'];

const from = fc.tuple(fc.constantFrom('busybox', 'scratch', '${A}', 'base', 'b2', '0'), fc.constantFrom('', ' AS base', ' AS b2', ' as Base'))
  .map(([image, name]) => `FROM ${image}${name}`);
const instruction = fc.tuple(fc.constantFrom(...keywords), fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 5 }))
  .map(([k, ws]) => `${k} ${ws.join(' ')}`);
const line = fc.oneof(
  { weight: 8, arbitrary: instruction },
  { weight: 1, arbitrary: from },
  { weight: 1, arbitrary: fc.constantFrom('EOF', '', '# check=skip=all', 'ARG A=1', 'RUNN x') },
);
const dockerfile = fc.tuple(fc.constantFrom('', '# check=error=true\n', 'ARG A=busybox\n'), from, fc.array(line, { maxLength: 12 }))
  .map(([head, first, lines]) => `${head}${first}\n${lines.join('\n')}\n`);

function outcome(text: string): Promise<unknown> {
  return (async () => {
    const ast = parseDockerfile(text);
    planBuild(ast, { allStages: true, env: {}, buildPlatform: { os: 'linux', architecture: 'amd64' } });
    await runChecks(ast, {});
  })();
}

test('parse, plan and check either succeed or fail with a located KilnError', async () => {
  await fc.assert(
    fc.asyncProperty(dockerfile, async (text) => {
      try {
        await outcome(text);
      } catch (err) {
        assert.ok(isKilnError(err), `not a KilnError for ${JSON.stringify(text)}: ${String((err as Error)?.stack ?? err)}`);
        const at = err.details.source?.range.start;
        assert.ok(at && at.line >= 1 && at.column >= 1, `no location for ${JSON.stringify(text)}: ${err.message}`);
      }
    }),
    { numRuns: 2000 },
  );
});
