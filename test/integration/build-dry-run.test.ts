// `kiln build --dry-run`: the plan of a build without running it. A first plan runs every step
// (none was ever built) and builds nothing; after a real build every step is planned CACHED;
// after one file changes, the COPY that reads it would run because that file changed, the
// steps over it because it runs, and the rest of the build stays cached.
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeContext } from '../helpers/build-context.js';
import { canRunContainers } from '../helpers/kiln-env.js';
import { startKilnd } from '../helpers/kilnd.js';
import { tempDir } from '../helpers/tmp.js';

const kilnd = canRunContainers ? await startKilnd('build-dry-run') : undefined;
after(() => kilnd?.stop());

const dockerfile = `FROM busybox:1 AS libs
COPY libs/ /libs/
RUN --mount=type=cache,id=dry-run-marker,target=/marker touch /marker/ran && cat /libs/* > /libs.txt
FROM busybox:1
COPY --from=libs /libs.txt /
COPY app/ /app/
RUN cat /libs.txt /app/* > /all.txt
`;

const kiln = (args: string[]) => kilnd!.user.kiln(['--host', `unix://${kilnd!.socket}`, ...args]);

/** The plan's lines as [status, step name, reason]. */
function planOf(stdout: string): [string, string, string][] {
  return stdout.trim().split('\n').slice(0, -1).map((line) => {
    const match = /^(CACHED|IMPORTED|WOULD RUN)\s+(.*?)(?: {2}\((.*)\))?$/.exec(line);
    return [match?.[1] ?? '', match?.[2] ?? '', match?.[3] ?? ''];
  });
}

describe('kiln build --dry-run', { skip: canRunContainers ? false : 'needs root for the daemon' }, () => {
  it('plans without running anything, then names what a change would run and why', async () => {
    const context = await tempDir('build-dry-run');
    await writeContext(context, { Dockerfile: dockerfile, 'libs/a.txt': 'a\n', 'app/main.txt': 'v1\n' });

    const first = await kiln(['build', '--dry-run', '-t', 'dry:1', context]);
    assert.equal(first.status, 0, first.stderr);
    const cold = planOf(first.stdout);
    assert.ok(cold.length >= 6, first.stdout);
    assert.deepEqual(cold.filter(([status, name]) => status !== 'WOULD RUN' && !name.includes('FROM')), [], first.stdout);
    assert.match(first.stdout, /WOULD RUN\s+\[libs 2\/3\] COPY libs\/ \/libs\/ {2}\(no earlier build of this step\)/);
    assert.match(first.stdout, /\d+ cached, 0 from an imported cache, \d+ would run\n$/);
    // Nothing ran: the RUN's cache mount was never made, and there is no image.
    const marker = join(kilnd!.root, 'cache', 'mounts', createHash('sha256').update('dry-run-marker').digest('hex'));
    await assert.rejects(access(marker), 'the RUN did not run');
    assert.notEqual((await kiln(['image', 'inspect', 'dry:1'])).status, 0, 'no image was made');

    const built = await kiln(['build', '-t', 'dry:1', context]);
    assert.equal(built.status, 0, built.stderr);
    const warm = planOf((await kiln(['build', '--dry-run', context])).stdout);
    assert.deepEqual(warm.filter(([status]) => status !== 'CACHED'), [], 'after the build, every step is cached');

    await writeContext(context, { 'app/main.txt': 'v2\n' });
    const changed = await kiln(['build', '--dry-run', context]);
    const plan = planOf(changed.stdout);
    const status = (step: string): [string, string] | undefined => {
      const found = plan.find(([, name]) => name.endsWith(step));
      return found === undefined ? undefined : [found[0], found[2]];
    };
    assert.deepEqual(status('COPY app/ /app/'), ['WOULD RUN', 'file app/main.txt changed'], changed.stdout);
    assert.deepEqual(status('RUN cat /libs.txt /app/* > /all.txt'), ['WOULD RUN', 'the previous step would run'], changed.stdout);
    assert.equal(status('COPY --from=libs /libs.txt /')?.[0], 'CACHED', changed.stdout);
    assert.match(changed.stdout, /would run\n$/);

    const json = await kiln(['build', '--dry-run', '--progress=rawjson', context]);
    const parsed = JSON.parse(json.stdout) as { targets: { steps: { status: string }[] }[] };
    assert.equal(parsed.targets[0]?.steps.filter((step) => step.status === 'run').length, 2);
  });
});
