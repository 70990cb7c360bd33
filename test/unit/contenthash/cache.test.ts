import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { closeHashPool, DEFAULT_INLINE_LIMIT, openContext } from '../../../src/contenthash/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { settle, writeTree } from './tree.js';

const base = await tempDir('contenthash-cache');
let serial = 0;

after(closeHashPool);

function files(count: number): Record<string, string> {
  const tree: Record<string, string> = {};
  for (let i = 0; i < count; i++) tree[`dir${i % 4}/file${i}.txt`] = `content ${i}\n`;
  return tree;
}

async function setup(count: number): Promise<{ root: string; dir: string }> {
  const n = serial++;
  const dir = await writeTree(join(base, `ctx${n}`), files(count));
  await settle();
  return { root: join(base, `root${n}`), dir };
}

const everything = { paths: ['.'], allowWildcard: false };

describe('contenthash stat cache', () => {
  it('lets a second instance on the same root hash nothing for an unchanged context', async () => {
    const { root, dir } = await setup(40);
    const first = openContext(root, dir, undefined);
    const key = await first.checksum(everything);
    assert.equal(first.stats.filesHashed, 40);
    await first.save();

    const second = openContext(root, dir, undefined);
    assert.equal(await second.checksum(everything), key);
    assert.deepEqual(second.stats, { filesHashed: 0, bytesHashed: 0, filesHashedOffThread: 0, cacheHits: 40, entriesRead: 45 });
  });

  it('re-hashes exactly the one file that changed, even with its mtime put back', async () => {
    const { root, dir } = await setup(40);
    const first = openContext(root, dir, undefined);
    const key = await first.checksum(everything);
    await first.save();

    const file = join(dir, 'dir1/file5.txt');
    const { atime, mtime } = await stat(file);
    await writeFile(file, 'content X\n');
    await utimes(file, atime, mtime);
    await settle();
    const second = openContext(root, dir, undefined);
    assert.notEqual(await second.checksum(everything), key);
    assert.equal(second.stats.filesHashed, 1);
    assert.equal(second.stats.cacheHits, 39);
  });

  it('ignores a corrupt cache file and writes a good one again', async () => {
    const { root, dir } = await setup(10);
    const first = openContext(root, dir, undefined);
    const key = await first.checksum(everything);
    await first.save();
    const cacheDir = join(root, 'cache', 'contenthash');
    const [name] = await readdir(cacheDir);
    assert.ok(name !== undefined && /^[a-f0-9]{64}\.json$/.test(name));
    const text = await readFile(join(cacheDir, name), 'utf8');
    await writeFile(join(cacheDir, name), text.slice(0, text.length / 2));

    const second = openContext(root, dir, undefined);
    assert.equal(await second.checksum(everything), key);
    assert.equal(second.stats.filesHashed, 10);
    await second.save();
    const third = openContext(root, dir, undefined);
    assert.equal(await third.checksum(everything), key);
    assert.equal(third.stats.filesHashed, 0);
  });

  it('ignores a cache file that names another context', async () => {
    const { root, dir } = await setup(5);
    const first = openContext(root, dir, undefined);
    await first.checksum(everything);
    await first.save();
    const file = join(root, 'cache', 'contenthash', `${createHash('sha256').update(dir).digest('hex')}.json`);
    const stored = JSON.parse(await readFile(file, 'utf8')) as { context: string };
    assert.equal(stored.context, dir);
    await writeFile(file, JSON.stringify({ ...stored, context: `${dir}-elsewhere` }));

    const second = openContext(root, dir, undefined);
    await second.checksum(everything);
    assert.equal(second.stats.filesHashed, 5);
  });

  it('shares the work per file between concurrent checksums of one context', async () => {
    const { root, dir } = await setup(20);
    const context = openContext(root, dir, undefined);
    const [all, one, again] = await Promise.all([
      context.checksum(everything),
      context.checksum({ paths: ['dir0'], allowWildcard: false }),
      context.checksum({ paths: ['dir*'], allowWildcard: true }),
    ]);
    assert.notEqual(all, one);
    assert.notEqual(all, again);
    assert.equal(context.stats.filesHashed, 20);
  });

  it('hashes a big file on the worker pool to the key inline hashing gives', async () => {
    const { dir } = await setup(1);
    const big = Buffer.alloc(DEFAULT_INLINE_LIMIT * 4 + 1, 7);
    await writeFile(join(dir, 'big.bin'), big);
    const pooled = openContext(join(base, 'pooled'), dir, undefined);
    const inline = openContext(join(base, 'inline'), dir, undefined, { inlineLimit: Number.POSITIVE_INFINITY });
    const selection = { paths: ['big.bin'], allowWildcard: false };
    const pooledKey = await pooled.checksum(selection);
    assert.equal(await inline.checksum(selection), pooledKey);
    assert.equal(pooled.stats.filesHashedOffThread, 1);
    assert.equal(inline.stats.filesHashedOffThread, 0);
    assert.equal(inline.stats.bytesHashed, big.length);
    // The record is the header, then the bytes: the key is no plain sha256 of the bytes.
    assert.notEqual(pooledKey, `sha256:${createHash('sha256').update(big).digest('hex')}`);
  });
});
