// What a build reads of its context: every file some step reads is hashed once per build,
// however many stages copy it, and files no step reads are never hashed. The build runs
// in-process on a fresh store (nothing in the persistent stat cache yet), so every file the
// build needs is hashed exactly once and the count is the build's alone.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildImage } from '../../src/daemon/build/index.js';
import { openEngine } from '../../src/daemon/images/engine.js';
import { canRunContainers } from '../helpers/kiln-env.js';
import { tempDir } from '../helpers/tmp.js';

async function files(dir: string, count: number, size = 100): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i++) await writeFile(join(dir, `f${i}.txt`), `${dir} ${i}\n`.padEnd(size, '.'));
}

describe('a build\'s reads of its context', { skip: canRunContainers ? false : 'needs root for overlay snapshots' }, () => {
  it('hashes each file a step reads once, however many stages read it, and none that no step reads', async () => {
    const context = await tempDir('context-reads');
    await files(join(context, 'shared'), 12);
    await files(join(context, 'own'), 5);
    await files(join(context, 'unread'), 30, 5000);
    await writeFile(join(context, 'Dockerfile'), [
      'FROM scratch AS one',
      'COPY shared /shared',
      'FROM scratch AS two',
      'COPY shared /also-shared',
      'COPY own/f0.txt own/f1.txt /own/',
      'FROM scratch',
      'COPY --from=one /shared /one',
      'COPY --from=two /also-shared /two',
      'COPY shared/f3.txt /three.txt',
      '',
    ].join('\n'));
    const engine = await openEngine({ root: await tempDir('context-reads-root') });
    after(() => engine.close());
    const first = await buildImage(engine, { contextDir: context, tags: ['reads:1'], buildArgs: {} });
    assert.equal(first.context.filesHashed, 12 + 2, 'shared/ (12 files) and two of own/, each once');
    assert.ok(first.context.bytesHashed < 30 * 5000, 'nothing of unread/');
    const again = await buildImage(engine, { contextDir: context, tags: ['reads:1'], buildArgs: {} });
    assert.equal(again.id, first.id);
    assert.equal(again.context.filesHashed, 0, 'a rebuild of the unchanged context hashes nothing');
  });
});
