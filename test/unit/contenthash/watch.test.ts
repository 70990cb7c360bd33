import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
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

/** One build's view: its key, and how many entries it read to make its index (all: a walk). */
async function build(root: string, dir: string, ignore?: string[]): Promise<{ key: string; read: number }> {
  const context = openContext(root, dir, ignore === undefined ? undefined : new PatternMatcher(ignore), { watchKey: JSON.stringify(ignore ?? []) });
  const key = await context.checksum(everything);
  await context.save();
  return { key, read: context.stats.entriesRead };
}

/** The context's entries (the root, a.txt, src, src/b.txt, src/deep, src/deep/c.txt, logs, logs/x.log). */
const walk = 8;

/** The key of the whole context as a build without a watch computes it. */
async function checksumUnwatched(dir: string, ignore?: string[]): Promise<string> {
  return openContext(await tempDir('contenthash-unwatched'), dir, ignore === undefined ? undefined : new PatternMatcher(ignore)).checksum(everything);
}

/** inotify events reach the daemon on its next turns of the event loop. */
const delivered = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

describe('contenthash watched contexts', () => {
  it('reuses the index and keys of the last build while nothing changed', async () => {
    const { root, dir } = await setup();
    const first = await build(root, dir);
    assert.equal(first.read, walk);
    const second = await build(root, dir);
    assert.deepEqual(second, { key: first.key, read: 0 });
  });

  for (const [what, change, reread] of [
    ['a file rewritten', (dir: string) => writeFile(join(dir, 'src/deep/c.txt'), 'changed\n'), 1],
    ['a file added in a subdirectory', (dir: string) => writeFile(join(dir, 'src/deep/new.txt'), 'new\n'), 1],
    ['a file removed', (dir: string) => rm(join(dir, 'src/b.txt')), 1],
    ['a mode changed', (dir: string) => chmod(join(dir, 'a.txt'), 0o600), 1],
    ['a file renamed into another directory', (dir: string) => rename(join(dir, 'a.txt'), join(dir, 'src/deep/a.txt')), 2],
    ['a directory renamed', (dir: string) => rename(join(dir, 'src/deep'), join(dir, 'src/moved')), walk],
    ['a directory created', (dir: string) => mkdir(join(dir, 'src/fresh')), walk + 1],
  ] as const) {
    it(`${reread === 1 || reread === 2 ? 'reads again only what changed' : 'walks again'} after ${what}, and gives the key a walk gives`, async () => {
      const { root, dir } = await setup();
      const before = await build(root, dir);
      await build(root, dir);
      await change(dir);
      await delivered();
      const after = await build(root, dir);
      assert.equal(after.read, reread);
      assert.notEqual(after.key, before.key);
      // The same key as a daemon that never saw the context before.
      assert.equal(await checksumUnwatched(dir), after.key);
      // Watched still (or again, from that walk on).
      assert.deepEqual(await build(root, dir), { key: after.key, read: 0 });
    });
  }

  it('sees an edit made just before the build, without waiting for its event', async () => {
    const { root, dir } = await setup();
    await build(root, dir);
    await build(root, dir);
    await writeFile(join(dir, 'src/b.txt'), 'edited\n');
    const after = await build(root, dir);
    assert.equal(after.read, 1);
    assert.equal(after.key, await checksumUnwatched(dir));
  });

  it('walks again when more files changed than are worth reading one by one', async () => {
    const { root, dir } = await setup();
    await build(root, dir);
    for (let n = 0; n < 100; n++) await writeFile(join(dir, `src/many-${n}.txt`), `${n}\n`);
    await delivered();
    const after = await build(root, dir);
    assert.equal(after.read, walk + 100);
    assert.equal(after.key, await checksumUnwatched(dir));
  });

  it('walks again when .dockerignore has exceptions, which a partial read could get wrong', async () => {
    const { root, dir } = await setup();
    const ignore = ['src', '!src/deep'];
    await build(root, dir, ignore);
    await writeFile(join(dir, 'src/deep/c.txt'), 'changed\n');
    await delivered();
    const after = await build(root, dir, ignore);
    assert.ok(after.read > 1, `read ${after.read}`);
    assert.equal(after.key, await checksumUnwatched(dir, ignore));
  });

  it('trusts no kept context after enough events anywhere that inotify may have dropped some', async () => {
    const { root, dir } = await setup();
    await build(root, dir);
    // Another watched context takes a burst of events; this one sees none of them.
    const other = await setup();
    await build(other.root, other.dir);
    const queue = Number(await readFile('/proc/sys/fs/inotify/max_queued_events', 'utf8'));
    // Each new file is an event at least (created, then written); half a queue's worth is enough.
    for (let n = 0; n < Math.ceil(queue / 2) + 100; n++) await writeFile(join(other.dir, `burst-${n}`), 'x');
    await delivered();
    assert.equal((await build(root, dir)).read, walk);
  });

  it('sees changes in a directory created after the last walk', async () => {
    const { root, dir } = await setup();
    await mkdir(join(dir, 'fresh'));
    await writeFile(join(dir, 'fresh/one.txt'), '1\n');
    await delivered();
    await build(root, dir);
    await writeFile(join(dir, 'fresh/one.txt'), '2\n');
    await delivered();
    const after = await build(root, dir);
    assert.equal(after.read, 1);
    assert.equal(after.key, await checksumUnwatched(dir));
  });

  it('ignores changes to what .dockerignore leaves out', async () => {
    const { root, dir } = await setup();
    const first = await build(root, dir, ['logs']);
    await writeFile(join(dir, 'logs/x.log'), 'more\n');
    await writeFile(join(dir, 'logs/y.log'), 'y\n');
    await delivered();
    assert.deepEqual(await build(root, dir, ['logs']), { key: first.key, read: 0 });
  });

  it('walks again when the .dockerignore patterns differ', async () => {
    const { root, dir } = await setup();
    await build(root, dir, ['logs']);
    const other = await build(root, dir);
    assert.equal(other.read, walk);
  });

  it('treats a context directory replaced wholesale as a new one', async () => {
    const { root, dir } = await setup();
    const first = await build(root, dir);
    await rename(dir, `${dir}.old`);
    await writeTree(dir, { 'a.txt': 'other\n' });
    await settle();
    const second = await build(root, dir);
    assert.equal(second.read, 2);
    assert.notEqual(second.key, first.key);
  });
});
