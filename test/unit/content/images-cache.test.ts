// Names looked up again and again (a long-lived engine's runs) are answered from memory while
// the record file is unchanged: a tag, retag or rmi by another store or process on the same
// root is seen by the next lookup.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ImageStore, digestBytes, digestHex } from '../../../src/content/index.js';
import type { Descriptor } from '../../../src/image/types.js';
import { tempDir } from '../../helpers/tmp.js';

const manifestType = 'application/vnd.oci.image.manifest.v1+json';
const name = 'docker.io/library/busybox:1';

function target(seed: string): Descriptor {
  return { mediaType: manifestType, digest: digestBytes(seed), size: seed.length };
}

/** Files written just now are read again on every lookup; an hour-old one is the case of interest. */
async function age(root: string): Promise<string> {
  const path = join(root, 'metadata', 'images', `${digestHex(digestBytes(name))}.json`);
  const hourAgo = new Date(Date.now() - 3_600_000);
  await utimes(path, hourAgo, hourAgo);
  return path;
}

test('a record kept in memory is served while its file stays; an edit by hand shows', async () => {
  const root = await tempDir('images-cache');
  const images = new ImageStore(root);
  await images.put({ name, target: target('one') });
  const path = await age(root);
  assert.equal((await images.get(name))?.target.digest, digestBytes('one'));
  const kept = await images.get(name);
  assert.equal(kept?.target.digest, digestBytes('one'));
  // A caller changing its copy changes nothing kept.
  if (kept !== undefined) kept.target.digest = digestBytes('mutated');
  assert.equal((await images.get(name))?.target.digest, digestBytes('one'));
  // Rewritten in place (same inode), the file's mtime and size tell.
  const text = await readFile(path, 'utf8');
  await writeFile(path, text.replace(digestBytes('one'), digestBytes('two')));
  assert.equal((await images.get(name))?.target.digest, digestBytes('two'));
});

test('a tag and an rmi by another store are seen by the next get', async () => {
  const root = await tempDir('images-cache');
  const engine = new ImageStore(root);
  const cli = new ImageStore(root);
  await cli.put({ name, target: target('one') });
  await age(root);
  assert.equal((await engine.get(name))?.target.digest, digestBytes('one'));
  await cli.put({ name, target: target('two') });
  await age(root);
  assert.equal((await engine.get(name))?.target.digest, digestBytes('two'));
  await cli.delete(name);
  assert.equal(await engine.get(name), undefined);
});

test('a tag and an rmi by another process are seen by the next get', async () => {
  const root = await tempDir('images-cache');
  const engine = new ImageStore(root);
  await engine.put({ name, target: target('one') });
  await age(root);
  assert.equal((await engine.get(name))?.target.digest, digestBytes('one'));
  const url = new URL('../../../src/content/images.ts', import.meta.url).href;
  const other = async (code: string) => promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
    `const { ImageStore } = await import(${JSON.stringify(url)}); const images = new ImageStore(${JSON.stringify(root)}); ${code}`]);
  await other(`await images.put({ name: ${JSON.stringify(name)}, target: ${JSON.stringify(target('two'))} });`);
  await age(root);
  assert.equal((await engine.get(name))?.target.digest, digestBytes('two'));
  await other(`await images.delete(${JSON.stringify(name)});`);
  assert.equal(await engine.get(name), undefined);
});
