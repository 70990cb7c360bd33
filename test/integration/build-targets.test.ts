// Several targets of one Dockerfile in one build (`kiln build --target api --target web`), as a
// monorepo's CI builds its images: one read of the context, one solve in which the stage both
// images share runs once, and an image per target named by `-t TARGET=NAME`.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeContext } from '../helpers/build-context.js';
import { canRunContainers } from '../helpers/kiln-env.js';
import { startKilnd } from '../helpers/kilnd.js';
import { tempDir } from '../helpers/tmp.js';

const kilnd = canRunContainers ? await startKilnd('build-targets') : undefined;
after(() => kilnd?.stop());

const dockerfile = `FROM busybox:1 AS deps
COPY shared/ /shared/
RUN cat /shared/* > /deps.txt
FROM deps AS api
COPY api/ /api/
RUN cat /deps.txt /api/* > /out.txt
FROM deps AS web
COPY web/ /web/
RUN cat /deps.txt /web/* > /out.txt
FROM busybox:1 AS unused
RUN exit 1
`;

const kiln = (args: string[]) => kilnd!.user.kiln(['--host', `unix://${kilnd!.socket}`, ...args]);

/** The steps a build ran (not cached), by name, from its rawjson progress. */
function ran(stderr: string): string[] {
  const started = new Map<string, string>();
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    const event = JSON.parse(line) as { digest: string; name: string; started?: number; completed?: number; cached?: boolean };
    if (event.completed !== undefined && event.cached !== true && /^\[/.test(event.name)) started.set(event.digest, event.name);
  }
  return [...started.values()];
}

describe('kiln build with several targets', { skip: canRunContainers ? false : 'needs root for the daemon' }, () => {
  it('builds each target\'s image in one solve, the shared stage once, and names each', async () => {
    const context = await tempDir('build-targets');
    await writeContext(context, { Dockerfile: dockerfile, 'shared/lib.txt': 'lib\n', 'api/main.txt': 'api\n', 'web/index.txt': 'web\n' });
    const metadata = join(await tempDir('build-targets-meta'), 'metadata.json');
    const from = kilnd!.log().length;
    const built = await kiln(['build', '--progress=rawjson', '--target', 'api', '--target', 'web', '-t', 'api=mono/api:1', '-t', 'web=mono/web:1', '--metadata-file', metadata, context]);
    assert.equal(built.status, 0, built.stderr);
    const steps = ran(built.stderr);
    assert.equal(steps.filter((name) => name.includes('RUN cat /shared/*')).length, 1, `the shared stage runs once: ${steps.join(' | ')}`);
    assert.equal(steps.filter((name) => name.includes('COPY shared/')).length, 1);
    assert.ok(!steps.some((name) => name.includes('exit 1')), 'a stage no target needs is not built');
    assert.match(built.stderr, /writing image sha256:[0-9a-f]{64} \(target api\) done\nnaming to docker.io\/mono\/api:1 done/);
    assert.match(built.stderr, /writing image sha256:[0-9a-f]{64} \(target web\) done\nnaming to docker.io\/mono\/web:1 done/);
    for (const [image, expected] of [['mono/api:1', 'lib\napi\n'], ['mono/web:1', 'lib\nweb\n']] as const) {
      const out = await kiln(['run', '--rm', image, 'cat', '/out.txt']);
      assert.equal(out.stdout, expected, out.stderr);
    }
    const written = JSON.parse(await readFile(metadata, 'utf8')) as Record<string, Record<string, string>>;
    assert.deepEqual(Object.keys(written).sort(), ['api', 'web']);
    assert.equal(written['api']?.['image.name'], 'docker.io/mono/api:1');
    // The context was read once for both: the daemon's build line counts each file hashed once.
    const line = kilnd!.log().slice(from).split('\n').find((entry) => entry.includes('"msg":"build ended"'));
    assert.match(line ?? '', /"contextFilesHashed":3\b/, line);
  });

  it('refuses a plain tag, an --iidfile and a file output with several targets, naming the flag', async () => {
    const context = await tempDir('build-targets-refused');
    await writeContext(context, { Dockerfile: dockerfile, 'shared/lib.txt': 'lib\n', 'api/main.txt': 'api\n', 'web/index.txt': 'web\n' });
    const plain = await kiln(['build', '--target', 'api', '--target', 'web', '-t', 'mono:1', context]);
    assert.notEqual(plain.status, 0);
    assert.match(plain.stderr, /TARGET=NAME/);
    const iidfile = await kiln(['build', '--target', 'api', '--target', 'web', '--iidfile', join(context, 'id'), context]);
    assert.notEqual(iidfile.status, 0);
    assert.match(iidfile.stderr, /--iidfile/);
    const output = await kiln(['build', '--target', 'api', '--target', 'web', '-o', `type=local,dest=${join(context, 'out')}`, context]);
    assert.notEqual(output.status, 0);
    assert.match(output.stderr, /--output/);
  });
});
