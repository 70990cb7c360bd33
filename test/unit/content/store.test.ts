import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digestBytes, type Digest } from '../../../src/content/index.js';
import { drain, put, tempStore } from './store-helpers.js';
import { kilnRejection } from '../../helpers/errors.js';


const hello = Buffer.from('hello, content store\n');
const helloDigest = digestBytes(hello);

function blobFile(root: string, digest: Digest): string {
  return join(root, 'content', 'blobs', 'sha256', digest.slice('sha256:'.length));
}

async function ingestEntries(root: string): Promise<string[]> {
  return readdir(join(root, 'content', 'ingest'));
}

test('write, commit and read round-trip a blob', async () => {
  const { root, store } = await tempStore();
  const writer = await store.writer('layer-1', { size: hello.length });
  await writer.write(hello.subarray(0, 5));
  assert.deepEqual({ ...writer.status(), startedAt: undefined }, { ref: 'layer-1', offset: 5, total: hello.length, startedAt: undefined });
  await writer.write(hello.subarray(5));
  const desc = await writer.commit(hello.length, helloDigest);
  assert.deepEqual(desc, { digest: helloDigest, size: hello.length });
  assert.deepEqual(await readFile(blobFile(root, helloDigest)), hello);
  assert.deepEqual(await drain(await store.read(desc)), hello);
  const info = await store.info(helloDigest);
  assert.equal(info?.size, hello.length);
  assert.ok(info?.createdAt instanceof Date);
  assert.deepEqual(await ingestEntries(root), []);
});

test('an empty blob can be written and read', async () => {
  const { store } = await tempStore();
  const desc = await put(store, 'empty');
  assert.equal(desc.digest, digestBytes(''));
  assert.equal((await drain(await store.read(desc))).length, 0);
});

test('a size mismatch fails FAILED_PRECONDITION naming both sizes and drops the ingest', async () => {
  const { root, store } = await tempStore();
  const writer = await store.writer('short', { size: 100 });
  await writer.write(hello);
  const err = await kilnRejection(writer.commit());
  assert.equal(err.code, 'FAILED_PRECONDITION');
  assert.match(err.message, new RegExp(`expected 100 bytes, got ${hello.length}`));
  assert.equal(await store.info(helloDigest), undefined);
  assert.deepEqual(await ingestEntries(root), []);
});

test('a digest mismatch fails FAILED_PRECONDITION naming expected and actual digests', async () => {
  const { root, store } = await tempStore();
  const wrong = digestBytes('something else');
  const writer = await store.writer('wrong');
  await writer.write(hello);
  const err = await kilnRejection(writer.commit(hello.length, wrong));
  assert.equal(err.code, 'FAILED_PRECONDITION');
  assert.ok(err.message.includes(`expected ${wrong}`) && err.message.includes(`got ${helloDigest}`), err.message);
  assert.equal(await store.info(helloDigest), undefined);
  assert.deepEqual(await ingestEntries(root), []);
});

test('the digest given to writer() is checked at commit too', async () => {
  const { store } = await tempStore();
  const writer = await store.writer('pinned', { digest: digestBytes('other') });
  await writer.write(hello);
  assert.equal((await kilnRejection(writer.commit())).code, 'FAILED_PRECONDITION');
});

test('committing content that already exists returns its descriptor', async () => {
  const { root, store } = await tempStore();
  await put(store, 'first', hello);
  const again = await put(store, 'second', hello.subarray(0, 3), hello.subarray(3));
  assert.deepEqual(again, { digest: helloDigest, size: hello.length });
  assert.deepEqual(await ingestEntries(root), []);
  assert.deepEqual(await drain(await store.read(again)), hello);
});

test('a second writer for the same ref gets CONFLICT until the first finishes', async () => {
  const { store } = await tempStore();
  const first = await store.writer('busy-ref');
  const err = await kilnRejection(store.writer('busy-ref'));
  assert.equal(err.code, 'CONFLICT');
  assert.match(err.message, /busy-ref/);
  const other = await store.writer('another-ref');
  await other.abort();
  await first.write(hello);
  await first.commit();
  const next = await store.writer('busy-ref');
  await next.abort();
});

test('two writers racing for one ref: exactly one wins', async () => {
  const { store } = await tempStore();
  const results = await Promise.allSettled([store.writer('race'), store.writer('race')]);
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  const lost = results.find((r) => r.status === 'rejected');
  assert.equal((lost as PromiseRejectedResult).reason.code, 'CONFLICT');
  for (const r of results) if (r.status === 'fulfilled') await r.value.abort();
});

test('abort removes the ingest and leaves no blob; the writer is then closed', async () => {
  const { root, store } = await tempStore();
  const writer = await store.writer('aborted');
  await writer.write(hello);
  assert.equal((await ingestEntries(root)).length, 1);
  await writer.abort();
  await writer.abort();
  assert.deepEqual(await ingestEntries(root), []);
  assert.equal(await store.info(helloDigest), undefined);
  assert.equal((await kilnRejection(writer.write(hello))).code, 'FAILED_PRECONDITION');
  assert.equal((await kilnRejection(writer.commit())).code, 'FAILED_PRECONDITION');
});

test('a corrupted blob on disk makes the read stream fail naming the digest', async () => {
  const { root, store } = await tempStore();
  const desc = await put(store, 'c', hello);
  const file = blobFile(root, desc.digest);
  const bytes = await readFile(file);
  bytes[3] = (bytes[3] ?? 0) ^ 0x01;
  await writeFile(file, bytes);
  const err = await kilnRejection(drain(await store.read(desc)));
  assert.equal(err.code, 'INTERNAL');
  assert.match(err.message, /data corrupted/);
  assert.ok(err.message.includes(desc.digest));
});

test('readSmall returns a whole blob and refuses a changed, truncated or missing one', async () => {
  const { root, store } = await tempStore();
  const desc = await put(store, 's', hello);
  assert.deepEqual(await store.readSmall(desc), hello);
  const file = blobFile(root, desc.digest);
  const flipped = Buffer.from(hello);
  flipped[0] = (flipped[0] ?? 0) ^ 0x01;
  await writeFile(file, flipped);
  assert.match((await kilnRejection(store.readSmall(desc))).message, /data corrupted.*other content than its digest/);
  await writeFile(file, hello.subarray(0, 4));
  assert.match((await kilnRejection(store.readSmall(desc))).message, /data corrupted.*4 bytes, not the/);
  const missing = { digest: digestBytes('absent'), size: 6 };
  assert.equal((await kilnRejection(store.readSmall(missing))).code, 'NOT_FOUND');
});

test('a truncated or extended blob on disk is detected on read', async () => {
  const { root, store } = await tempStore();
  const desc = await put(store, 't', hello);
  await writeFile(blobFile(root, desc.digest), hello.subarray(0, 4));
  assert.match((await kilnRejection(drain(await store.read(desc)))).message, /data corrupted.*4 bytes instead of/);
  await writeFile(blobFile(root, desc.digest), Buffer.concat([hello, hello]));
  assert.match((await kilnRejection(drain(await store.read(desc)))).message, /data corrupted.*more than/);
});

test('reading a missing blob is NOT_FOUND naming the digest', async () => {
  const { store } = await tempStore();
  const err = await kilnRejection(store.read({ digest: helloDigest, size: 1 }));
  assert.equal(err.code, 'NOT_FOUND');
  assert.ok(err.message.includes(helloDigest));
  assert.equal(await store.info(helloDigest), undefined);
});

test('a malformed digest is INVALID_ARGUMENT, never a path outside the store', async () => {
  const { store } = await tempStore();
  const bad = 'sha256:../../../etc/passwd' as Digest;
  assert.equal((await kilnRejection(store.info(bad))).code, 'INVALID_ARGUMENT');
  assert.equal((await kilnRejection(store.read({ digest: bad, size: 1 }))).code, 'INVALID_ARGUMENT');
  assert.equal((await kilnRejection(store.delete(bad))).code, 'INVALID_ARGUMENT');
  assert.equal((await kilnRejection(store.writer('x', { digest: bad }))).code, 'INVALID_ARGUMENT');
  assert.equal((await kilnRejection(store.writer('x', { size: -1 }))).code, 'INVALID_ARGUMENT');
});

test('ranged reads return the half-open byte range and check its bounds', async () => {
  const { store } = await tempStore();
  const desc = await put(store, 'r', hello);
  assert.equal((await drain(await store.read(desc, { start: 7, end: 14 }))).toString(), hello.subarray(7, 14).toString());
  assert.deepEqual(await drain(await store.read(desc, { start: 7 })), hello.subarray(7));
  assert.equal((await drain(await store.read(desc, { start: 5, end: 5 }))).length, 0);
  for (const range of [{ start: -1 }, { start: 3, end: 2 }, { start: 0, end: hello.length + 1 }, { start: 0.5 }]) {
    assert.equal((await kilnRejection(store.read(desc, range))).code, 'INVALID_ARGUMENT', JSON.stringify(range));
  }
});

test('a ranged read of a blob whose size changed on disk is refused', async () => {
  const { root, store } = await tempStore();
  const desc = await put(store, 'rs', hello);
  await writeFile(blobFile(root, desc.digest), hello.subarray(1));
  assert.match((await kilnRejection(store.read(desc, { start: 0, end: 2 }))).message, /data corrupted/);
});

test('walk lists every blob; delete removes one and is NOT_FOUND the second time', async () => {
  const { store } = await tempStore();
  const a = await put(store, 'a', Buffer.from('a'));
  const b = await put(store, 'b', Buffer.from('bb'));
  const seen: Array<[string, number]> = [];
  await store.walk((info) => { seen.push([info.digest, info.size]); });
  assert.deepEqual(seen.sort(), [[a.digest, 1], [b.digest, 2]].sort());
  await store.delete(a.digest);
  assert.equal(await store.info(a.digest), undefined);
  assert.equal((await kilnRejection(store.delete(a.digest))).code, 'NOT_FOUND');
  const left: string[] = [];
  await store.walk(async (info) => { left.push(info.digest); });
  assert.deepEqual(left, [b.digest]);
});

test('walk over a store that was never written visits nothing', async () => {
  const { store } = await tempStore();
  let visits = 0;
  await store.walk(() => { visits += 1; });
  assert.equal(visits, 0);
  assert.equal(await store.cleanupIngests(), 0);
});

test('cleanupIngests keeps the ingest of a live writer in this process', async () => {
  const { root, store } = await tempStore();
  const writer = await store.writer('live');
  await writer.write(hello);
  assert.equal(await store.cleanupIngests(), 0);
  assert.equal((await ingestEntries(root)).length, 1);
  assert.deepEqual(await writer.commit(), { digest: helloDigest, size: hello.length });
});
