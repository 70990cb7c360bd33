// The image metadata store's contract: names map to validated descriptors, updates keep
// createdAt, corrupt files are reported by name, and temp files never show up as records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImageStore, digestBytes, digestHex } from '../../../src/content/index.js';
import type { Descriptor } from '../../../src/image/types.js';
import { isKilnError } from '../../../src/util/errors.js';
import { tempDir } from '../../helpers/tmp.js';

const indexType = 'application/vnd.oci.image.index.v1+json';
const manifestType = 'application/vnd.oci.image.manifest.v1+json';

async function tempImages(): Promise<{ root: string; images: ImageStore; dir: string }> {
  const root = await tempDir('images');
  return { root, images: new ImageStore(root), dir: join(root, 'metadata', 'images') };
}

function target(seed: string, mediaType = manifestType): Descriptor {
  return { mediaType, digest: digestBytes(seed), size: seed.length };
}

function hasCode(code: string): (err: unknown) => boolean {
  return (err) => isKilnError(err) && err.code === code;
}

test('put, get, list, byTarget and delete', async () => {
  const { images } = await tempImages();
  assert.deepEqual(await images.list(), []);
  assert.equal(await images.get('docker.io/library/alpine:latest'), undefined);

  const alpine = await images.put({ name: 'docker.io/library/alpine:latest', target: target('a', indexType), labels: { team: 'x' } });
  await images.put({ name: 'docker.io/library/alpine:3.20', target: target('a', indexType) });
  await images.put({ name: 'ghcr.io/o/busybox@' + digestBytes('b'), target: target('b') });

  assert.deepEqual(await images.get('docker.io/library/alpine:latest'), alpine);
  assert.equal(alpine.target.digest, digestBytes('a'));
  assert.deepEqual(alpine.labels, { team: 'x' });
  assert.equal(alpine.createdAt, alpine.updatedAt);

  const names = (await images.list()).map((r) => r.name);
  assert.deepEqual(names, ['docker.io/library/alpine:3.20', 'docker.io/library/alpine:latest', `ghcr.io/o/busybox@${digestBytes('b')}`]);
  assert.deepEqual((await images.list((r) => r.target.mediaType === manifestType)).map((r) => r.name), [names[2]]);
  assert.deepEqual((await images.byTarget(digestBytes('a'))).map((r) => r.name), names.slice(0, 2));
  assert.deepEqual(await images.byTarget(digestBytes('nothing')), []);

  await images.delete('docker.io/library/alpine:latest');
  assert.equal(await images.get('docker.io/library/alpine:latest'), undefined);
  await assert.rejects(images.delete('docker.io/library/alpine:latest'), hasCode('NOT_FOUND'));
  assert.equal((await images.list()).length, 2);
});

test('an update keeps createdAt, moves updatedAt and replaces target and labels', async () => {
  const { images } = await tempImages();
  const first = await images.put({ name: 'r/a:1', target: target('one'), labels: { keep: 'no' } });
  await sleep(5);
  const second = await images.put({ name: 'r/a:1', target: target('two') });
  assert.equal(second.createdAt, first.createdAt);
  assert.ok(Date.parse(second.updatedAt) > Date.parse(first.updatedAt));
  assert.equal(second.target.digest, digestBytes('two'));
  assert.equal(second.labels, undefined);
  assert.deepEqual(await images.get('r/a:1'), second);
});

test('invalid names, digests and sizes are rejected with INVALID_ARGUMENT', async () => {
  const { images } = await tempImages();
  const good = target('x');
  const bad: Array<Parameters<ImageStore['put']>[0]> = [
    { name: '', target: good },
    { name: 'r/a', target: { ...good, digest: 'sha256:abc' as Descriptor['digest'] } },
    { name: 'r/a', target: { ...good, digest: digestBytes('x').toUpperCase() as Descriptor['digest'] } },
    { name: 'r/a', target: { ...good, size: -1 } },
    { name: 'r/a', target: { ...good, size: 1.5 } },
    { name: 'r/a', target: { ...good, mediaType: '' } },
    { name: 'r/a', target: good, labels: { n: 1 as unknown as string } },
  ];
  for (const record of bad) await assert.rejects(images.put(record), hasCode('INVALID_ARGUMENT'), JSON.stringify(record));
  await assert.rejects(images.get(''), hasCode('INVALID_ARGUMENT'));
  await assert.rejects(images.byTarget('sha256:nope' as Descriptor['digest']), hasCode('INVALID_ARGUMENT'));
  assert.deepEqual(await images.list(), []);
});

test('names with any characters map to one hashed file holding the name', async () => {
  const { images, dir } = await tempImages();
  const name = `../../etc/passwd:${'x'.repeat(300)}@é/\\`;
  await images.put({ name, target: target('p') });
  assert.deepEqual(await readdir(dir), [`${digestHex(digestBytes(name))}.json`]);
  assert.equal((await images.get(name))?.name, name);
});

test('a corrupt record file fails list and get with an error naming the file; put replaces it', async () => {
  const { images, dir } = await tempImages();
  await images.put({ name: 'r/ok', target: target('ok') });
  const file = join(dir, `${digestHex(digestBytes('r/broken'))}.json`);
  await writeFile(file, '{"name": "r/broken", "target": ');
  const namesFile = (err: unknown) => isKilnError(err) && err.code === 'INTERNAL' && err.message.includes(file);
  await assert.rejects(images.list(), namesFile);
  await assert.rejects(images.get('r/broken'), namesFile);

  await writeFile(file, JSON.stringify({ name: 'r/other', target: target('o'), createdAt: new Date().toISOString(), updatedAt: new Date().toISOString() }));
  await assert.rejects(images.list(), (err) => namesFile(err) && /belongs in another file/.test((err as Error).message));

  await images.put({ name: 'r/broken', target: target('fixed') });
  assert.deepEqual((await images.list()).map((r) => r.name), ['r/broken', 'r/ok']);
});

test('temp files are ignored by list and removed by cleanup unless their writer lives', async () => {
  const { images, dir } = await tempImages();
  await images.put({ name: 'r/a', target: target('a') });
  const hex = digestHex(digestBytes('r/a'));
  const dead = `.${hex}.json.999999999.0123456789abcdef.tmp`;
  const live = `.${hex}.json.${process.ppid}.0123456789abcdef.tmp`;
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, dead), '{"partial');
  await writeFile(join(dir, live), '{"partial');
  assert.deepEqual((await images.list()).map((r) => r.name), ['r/a']);
  assert.equal(await images.cleanup(), 1);
  assert.deepEqual((await readdir(dir)).sort(), [live, `${hex}.json`].sort());
});

test('200 concurrent puts of different names are all listed', async () => {
  const { images } = await tempImages();
  const names = Array.from({ length: 200 }, (_, i) => `docker.io/library/app:${String(i).padStart(3, '0')}`);
  await Promise.all(names.map((name) => images.put({ name, target: target(name) })));
  const records = await images.list();
  assert.deepEqual(records.map((r) => r.name), names);
  for (const record of records) assert.equal(record.target.digest, digestBytes(record.name));
});

test('concurrent puts and deletes of one name end in call order with one valid record', async () => {
  const { images, dir } = await tempImages();
  const name = 'docker.io/library/same:latest';
  const puts = Array.from({ length: 50 }, (_, i) => images.put({ name, target: target(`v${i}`) }));
  const results = await Promise.all(puts);
  const createdAt = new Set(results.map((r) => r.createdAt));
  assert.equal(createdAt.size, 1);
  assert.equal((await images.get(name))?.target.digest, digestBytes('v49'));
  assert.equal((await readdir(dir)).length, 1);

  const mixed = await Promise.allSettled([images.delete(name), images.delete(name), images.put({ name, target: target('last') })]);
  assert.deepEqual(mixed.map((m) => m.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.equal((await images.get(name))?.target.digest, digestBytes('last'));
});
