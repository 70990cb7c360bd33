import assert from 'node:assert/strict';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { closeContextWatches, closeHashPool, openContext } from '../../../src/contenthash/index.js';
import { PatternMatcher } from '../../../src/dockerfile/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { settle, writeTree } from './tree.js';

const base = await tempDir('contenthash-watch');
let serial = 0;

after(() => {
  closeContextWatches();
  return closeHashPool();
});

const everything = { paths: ['.'], allowWildcard: false };

async function setup(): Promise<{ root: string; dir: string }> {
  const n = serial++;
  const dir = await writeTree(join(base, `ctx${n}`), { 'a.txt': 'a\n', 'src/b.txt': 'b\n', 'src/deep/c.txt': 'c\n', 'logs/x.log': 'x\n' });
  await settle();
  return { root: join(base, `root${n}`), dir };
}

/** One build's view: its key, and whether it walked the context (its stat cache was consulted). */
async function build(root: string, dir: string, ignore?: string[]): Promise<{ key: string; walked: boolean }> {
  const context = openContext(root, dir, ignore === undefined ? undefined : new PatternMatcher(ignore), { watchKey: JSON.stringify(ignore ?? []) });
  const key = await context.checksum(everything);
  const { cacheHits, filesHashed } = context.stats;
  await context.save();
  return { key, walked: cacheHits + filesHashed > 0 };
}

/** inotify events reach the daemon on its next turns of the event loop. */
const delivered = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

describe('contenthash watched contexts', () => {
  it('reuses the index and keys of the last build while nothing changed', async () => {
    const { root, dir } = await setup();
    const first = await build(root, dir);
    assert.equal(first.walked, true);
    const second = await build(root, dir);
    assert.deepEqual(second, { key: first.key, walked: false });
  });

  for (const [what, change] of [
    ['a file rewritten', (dir: string) => writeFile(join(dir, 'src/deep/c.txt'), 'changed\n')],
    ['a file added in a subdirectory', (dir: string) => writeFile(join(dir, 'src/deep/new.txt'), 'new\n')],
    ['a file removed', (dir: string) => rm(join(dir, 'src/b.txt'))],
    ['a mode changed', (dir: string) => chmod(join(dir, 'a.txt'), 0o600)],
    ['a directory renamed', (dir: string) => rename(join(dir, 'src/deep'), join(dir, 'src/moved'))],
  ] as const) {
    it(`walks again after ${what}, and gives the new key`, async () => {
      const { root, dir } = await setup();
      const before = await build(root, dir);
      await build(root, dir);
      await change(dir);
      await delivered();
      const after = await build(root, dir);
      assert.equal(after.walked, true);
      assert.notEqual(after.key, before.key);
      // Watched again from that walk on.
      assert.deepEqual(await build(root, dir), { key: after.key, walked: false });
    });
  }

  it('sees changes in a directory created after the last walk', async () => {
    const { root, dir } = await setup();
    await mkdir(join(dir, 'fresh'));
    await writeFile(join(dir, 'fresh/one.txt'), '1\n');
    await delivered();
    await build(root, dir);
    await writeFile(join(dir, 'fresh/one.txt'), '2\n');
    await delivered();
    assert.equal((await build(root, dir)).walked, true);
  });

  it('ignores changes to what .dockerignore leaves out', async () => {
    const { root, dir } = await setup();
    const first = await build(root, dir, ['logs']);
    await writeFile(join(dir, 'logs/x.log'), 'more\n');
    await writeFile(join(dir, 'logs/y.log'), 'y\n');
    await delivered();
    assert.deepEqual(await build(root, dir, ['logs']), { key: first.key, walked: false });
  });

  it('walks again when the .dockerignore patterns differ', async () => {
    const { root, dir } = await setup();
    await build(root, dir, ['logs']);
    const other = await build(root, dir);
    assert.equal(other.walked, true);
  });

  it('treats a context directory replaced wholesale as a new one', async () => {
    const { root, dir } = await setup();
    const first = await build(root, dir);
    await rename(dir, `${dir}.old`);
    await writeTree(dir, { 'a.txt': 'other\n' });
    await settle();
    const second = await build(root, dir);
    assert.equal(second.walked, true);
    assert.notEqual(second.key, first.key);
  });
});
