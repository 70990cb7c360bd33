// A step's secret files (on a tmpfs of its own, with the mount's owner and mode) and the
// removal of the mount points runc leaves in the snapshot's upper directory.
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ExecMount } from '../../../src/llb/index.js';
import type { BuildOpContext } from '../../../src/ops/context.js';
import { mountStubsCleaner } from '../../../src/ops/mount-stubs.js';
import { StepSecrets } from '../../../src/ops/secret-mounts.js';
import { kilnRejection } from '../../helpers/errors.js';
import { canRunContainers } from '../../helpers/kiln-env.js';
import { tempDir } from '../../helpers/tmp.js';

function secretMount(id: string, options: { uid?: number; gid?: number; mode?: number; optional?: boolean } = {}): ExecMount {
  return {
    input: null, dest: `/run/secrets/${id}`, output: null, readonly: true, kind: 'secret',
    secret: { id, uid: options.uid ?? 0, gid: options.gid ?? 0, mode: options.mode ?? 0o400, optional: options.optional ?? false },
  };
}

describe('secret files', { skip: canRunContainers ? false : 'needs root for tmpfs mounts' }, () => {
  it('are written on a tmpfs with the mount\'s owner and mode, and gone with it', async () => {
    const dir = join(await tempDir('secret-files'), 'secrets');
    // Only the secrets are read from the context here.
    const context = { secrets: new Map([['tok', Buffer.from('s3cret')]]) } as unknown as BuildOpContext;
    const secrets = new StepSecrets(dir);
    try {
      const file = await secrets.file(context, secretMount('tok', { uid: 10, gid: 20, mode: 0o440 }));
      assert.ok(file !== undefined);
      const info = await stat(file);
      assert.deepEqual([info.mode & 0o7777, info.uid, info.gid], [0o440, 10, 20]);
      assert.equal(await readFile(file, 'utf8'), 's3cret');
      const mounts = await readFile('/proc/self/mountinfo', 'utf8');
      assert.ok(mounts.split('\n').some((line) => line.includes(` ${dir} `) && line.includes(' - tmpfs ')));
      assert.equal(await secrets.file(context, secretMount('other', { optional: true })), undefined);
      const missing = await kilnRejection(secrets.file(context, secretMount('other')));
      assert.equal(missing.code, 'NOT_FOUND');
      assert.match(missing.message, /secret other not found/);
    } finally {
      await secrets.release();
    }
    assert.deepEqual(await readdir(dir), []);
  });
});

describe('mount stubs', () => {
  it('removes the empty mount points (and parents) the root lacked before the step', async () => {
    const base = await tempDir('mount-stubs');
    const [lower, upper] = [join(base, 'lower'), join(base, 'upper')];
    await mkdir(join(lower, 'etc'), { recursive: true });
    await writeFile(join(lower, 'etc', 'kept'), '');
    await mkdir(upper);
    const root = { type: 'overlay', source: 'overlay', options: [`lowerdir=${lower}`, `upperdir=${upper}`, `workdir=${join(base, 'work')}`] };
    const clean = await mountStubsCleaner(root, ['/run/secrets/tok', '/etc/kept', '/etc/new', '/cache']);
    // What runc (and the step) leave in the upper directory.
    await mkdir(join(upper, 'run', 'secrets'), { recursive: true });
    await writeFile(join(upper, 'run', 'secrets', 'tok'), '');
    await mkdir(join(upper, 'etc'));
    await writeFile(join(upper, 'etc', 'new'), '');
    await mkdir(join(upper, 'cache'));
    await writeFile(join(upper, 'cache', 'written-by-step'), 'x');
    await clean();
    assert.deepEqual((await readdir(upper)).sort(), ['cache', 'etc']);
    assert.deepEqual(await readdir(join(upper, 'etc')), []);
  });
});
