// A COPY --from counts by the content of what it copies (BuildKit's content-based key for a
// copy's source): a stage rebuilt to the same files leaves the COPY and every step after it
// cached, and the same content copied from two different stages is one cached step.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { writeContext } from '../helpers/build-context.js';
import { stepsMarked } from '../helpers/build-steps.js';
import { canRunContainers } from '../helpers/kiln-env.js';
import { startKilnd } from '../helpers/kilnd.js';
import { tempDir } from '../helpers/tmp.js';

const kilnd = canRunContainers ? await startKilnd('build-cutoff') : undefined;
after(() => kilnd?.stop());

const kiln = (args: string[]) => kilnd!.user.kiln(['--host', `unix://${kilnd!.socket}`, ...args]);

const dockerfile = `FROM busybox:1 AS gen
ARG NOTE
RUN echo "building ($NOTE)" && mkdir -p /out && echo generated > /out/file.txt
FROM busybox:1
COPY --from=gen /out/ /dist/
RUN cat /dist/file.txt > /copied && sleep 0.1
`;

describe('COPY --from keyed by what it copies', { skip: canRunContainers ? false : 'needs root for the daemon' }, () => {
  it('leaves the steps after a stage cached when the stage is rebuilt to the same files', async () => {
    const context = await tempDir('build-cutoff');
    await writeContext(context, { Dockerfile: dockerfile });
    const first = await kiln(['build', '--progress=plain', '--build-arg', 'NOTE=a', '-t', 'cutoff:1', context]);
    assert.equal(first.status, 0, first.stderr);
    const second = await kiln(['build', '--progress=plain', '--build-arg', 'NOTE=b', '-t', 'cutoff:2', context]);
    assert.equal(second.status, 0, second.stderr);
    const ran = stepsMarked(second.stderr, 'DONE', { exceptFrom: true });
    assert.deepEqual(ran.map((name) => name.replace(/^\[[^\]]*\] /, '')), ['RUN echo "building (b)" && mkdir -p /out && echo generated > /out/file.txt'], second.stderr);
    const cached = stepsMarked(second.stderr, 'CACHED', { exceptFrom: true });
    assert.ok(cached.some((name) => name.includes('COPY --from=gen')) && cached.some((name) => name.includes('RUN cat /dist/file.txt')), second.stderr);
    const ids = await Promise.all(['cutoff:1', 'cutoff:2'].map(async (tag) => (await kiln(['image', 'inspect', '--format', '{{.Id}}', tag])).stdout));
    assert.equal(ids[0], ids[1], 'the same image');
  });
});
