// rm -rf for the trees a container run leaves, on a real file system: empty and nearly empty
// directories go synchronously, a tree past the budget is finished by the async walk, and
// symlinks are removed, never followed.
import assert from 'node:assert/strict';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { removeMostlyEmpty, removeTree } from '../../../src/snapshot/remove-tree.js';
import { tempDir } from '../../helpers/tmp.js';

async function tree(root: string, files: number): Promise<void> {
  await mkdir(join(root, 'fs', 'etc'), { recursive: true });
  await mkdir(join(root, 'work', 'work'), { recursive: true });
  for (let i = 0; i < files; i++) await writeFile(join(root, 'fs', 'etc', `f${i}`), 'x');
  await writeFile(join(root, 'info.json'), '{}');
}

describe('remove-tree', () => {
  it('removes an empty directory, a missing path and a plain file', async () => {
    const dir = await tempDir('rmtree');
    await mkdir(join(dir, 'empty'));
    await writeFile(join(dir, 'file'), 'x');
    await removeMostlyEmpty(join(dir, 'empty'));
    await removeMostlyEmpty(join(dir, 'missing'));
    await removeMostlyEmpty(join(dir, 'file'));
    assert.deepEqual(await readdir(dir), []);
  });

  it('removes a nearly empty snapshot dir (runc\'s mount points in the upper dir) and a big one', async () => {
    const dir = await tempDir('rmtree');
    await tree(join(dir, 'small'), 3);
    await tree(join(dir, 'big'), 200); // past the synchronous budget: the async walk finishes it
    await Promise.all([removeMostlyEmpty(join(dir, 'small')), removeMostlyEmpty(join(dir, 'big'))]);
    assert.deepEqual(await readdir(dir), []);
  });

  it('removes symlinks without following them', async () => {
    const dir = await tempDir('rmtree');
    const outside = join(dir, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'keep'), 'x');
    for (const remove of [removeTree, removeMostlyEmpty]) {
      const victim = join(dir, 'victim');
      await mkdir(join(victim, 'sub'), { recursive: true });
      await symlink(outside, join(victim, 'sub', 'link'));
      await remove(victim);
      assert.deepEqual(await readdir(dir), ['outside'], remove.name);
      assert.deepEqual(await readdir(outside), ['keep'], remove.name);
    }
  });
});
