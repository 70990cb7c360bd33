// Garbage collection of the content store: image records are the roots, shared and young
// blobs survive, and anything the mark phase cannot read stops GC before it deletes a byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  ImageStore, LocalContentStore, collectGarbage, digestBytes, digestHex, referencedBlobs, type Digest,
} from '../../../src/content/index.js';
import { MediaTypes, type Descriptor, type ImageIndex, type ImageManifest } from '../../../src/image/index.js';
import { isKilnError } from '../../../src/util/errors.js';
import { tempDir } from '../../helpers/tmp.js';
import { put } from './store-helpers.js';

const hour = 60 * 60 * 1000;

interface Fixture {
  root: string;
  store: LocalContentStore;
  images: ImageStore;
}

interface TestImage {
  manifest: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
}

function open(root: string): Fixture {
  return { root, store: new LocalContentStore(root), images: new ImageStore(root) };
}

async function fixture(): Promise<Fixture> {
  return open(await tempDir('gc'));
}

function blobPath(root: string, digest: Digest): string {
  return join(root, 'content', 'blobs', 'sha256', digestHex(digest));
}

async function putBlob(store: LocalContentStore, mediaType: string, data: string): Promise<Descriptor> {
  const { digest, size } = await put(store, `blob-${digestBytes(data)}`, Buffer.from(data));
  return { mediaType, digest, size };
}

/** The descriptor of a document, written to the store unless `stored` is false. */
async function putDocument(store: LocalContentStore, mediaType: string, doc: object, stored = true): Promise<Descriptor> {
  const json = JSON.stringify(doc);
  if (stored) return putBlob(store, mediaType, json);
  return { mediaType, digest: digestBytes(json), size: Buffer.byteLength(json) };
}

function configOf(name: string): object {
  return { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: { Labels: { name } } };
}

async function putImage(store: LocalContentStore, name: string, layers: Descriptor[], stored = true): Promise<TestImage> {
  const config = await putBlob(store, MediaTypes.ociConfig, JSON.stringify(configOf(name)));
  const manifest: ImageManifest = { schemaVersion: 2, mediaType: MediaTypes.ociManifest, config, layers };
  return { manifest: await putDocument(store, MediaTypes.ociManifest, manifest, stored), config, layers };
}

function layer(store: LocalContentStore, content: string): Promise<Descriptor> {
  return putBlob(store, MediaTypes.ociLayerGzip, content);
}

async function present(store: LocalContentStore, digests: Iterable<Digest>): Promise<Digest[]> {
  const found: Digest[] = [];
  for (const digest of digests) if ((await store.info(digest)) !== undefined) found.push(digest);
  return found;
}

async function allBlobs(store: LocalContentStore): Promise<Set<Digest>> {
  const all = new Set<Digest>();
  await store.walk((info) => void all.add(info.digest));
  return all;
}

async function age(root: string, digest: Digest, ms: number): Promise<void> {
  const then = new Date(Date.now() - ms);
  await utimes(blobPath(root, digest), then, then);
}

function internalNaming(digest: string): (err: unknown) => boolean {
  return (err) => isKilnError(err) && err.code === 'INTERNAL' && err.message.includes(digest);
}

function sorted(digests: Iterable<Digest>): Digest[] {
  return [...digests].sort();
}

test('removing one of two images that share a layer deletes only its own blobs', async () => {
  const { store, images } = await fixture();
  const base = await layer(store, 'shared base layer');
  const a = await putImage(store, 'a', [base, await layer(store, 'a layer')]);
  const b = await putImage(store, 'b', [base, await layer(store, 'b layer')]);
  await images.put({ name: 'r/a:1', target: a.manifest });
  await images.put({ name: 'r/b:1', target: b.manifest });

  const none = await collectGarbage(store, images, { gracePeriodMs: 0 });
  assert.deepEqual(none, { deleted: [], reclaimedBytes: 0, kept: 7 });

  await images.delete('r/b:1');
  const result = await collectGarbage(store, images, { gracePeriodMs: 0 });
  const bOnly = [b.manifest, b.config, b.layers[1]!];
  assert.deepEqual(sorted(result.deleted.map((info) => info.digest)), sorted(bOnly.map((d) => d.digest)));
  assert.equal(result.reclaimedBytes, bOnly.reduce((sum, d) => sum + d.size, 0));
  assert.equal(result.kept, 4);
  assert.deepEqual(sorted(await allBlobs(store)), sorted([a.manifest, a.config, ...a.layers].map((d) => d.digest)));
});

test('an index is followed to the children it has; a missing platform manifest is not an error', async () => {
  const { root, store, images } = await fixture();
  const amd64 = await putImage(store, 'amd64', [await layer(store, 'amd64 layer')]);
  // The arm64 manifest was never pulled, but its config was (a crash mid-pull): unreachable.
  const arm64 = await putImage(store, 'arm64', [await layer(store, 'arm64 layer')], false);
  // A Docker list without a mediaType field: recognised by its shape.
  const index = await putDocument(store, MediaTypes.dockerManifestList, {
    schemaVersion: 2,
    manifests: [amd64.manifest, arm64.manifest],
  });
  await images.put({ name: 'r/multi:1', target: index });
  for (const digest of await allBlobs(store)) await age(root, digest, hour);

  const result = await collectGarbage(store, images, { gracePeriodMs: 1000 });
  assert.deepEqual(sorted(result.deleted.map((info) => info.digest)), sorted([arm64.config.digest, arm64.layers[0]!.digest]));
  assert.deepEqual(sorted(await allBlobs(store)), sorted([index, amd64.manifest, amd64.config, ...amd64.layers].map((d) => d.digest)));

  const marked = await referencedBlobs(store, [index]);
  assert.ok(marked.has(arm64.manifest.digest), 'a missing child is still referenced');
  assert.ok(!marked.has(arm64.config.digest), 'but it is not followed');
});

test('a referrer keeps its subject alive, and extra roots count as records', async () => {
  const { store, images } = await fixture();
  const signed = await putImage(store, 'signed', [await layer(store, 'signed layer')]);
  const signature = await putDocument(store, MediaTypes.ociManifest, {
    schemaVersion: 2,
    config: { mediaType: 'application/vnd.example.signature.config', digest: digestBytes('{}'), size: 2 },
    layers: [],
    subject: signed.manifest,
  });
  const extra = await putImage(store, 'extra', [await layer(store, 'cache layer')]);
  await images.put({ name: 'r/signature:1', target: signature });

  const result = await collectGarbage(store, images, { gracePeriodMs: 0, roots: [extra.manifest] });
  assert.deepEqual(result.deleted, []);
  assert.equal(result.kept, 7);
});

test('blobs younger than the grace period are kept; the default is ten minutes', async () => {
  const { root, store, images } = await fixture();
  const old = await layer(store, 'old orphan');
  const middle = await layer(store, 'five minutes old orphan');
  const fresh = await layer(store, 'fresh orphan');
  await age(root, old.digest, hour);
  await age(root, middle.digest, 5 * 60 * 1000);

  const byDefault = await collectGarbage(store, images);
  assert.deepEqual(byDefault.deleted.map((info) => info.digest), [old.digest]);
  assert.equal(byDefault.kept, 2);

  const short = await collectGarbage(store, images, { gracePeriodMs: 60_000 });
  assert.deepEqual(short.deleted.map((info) => info.digest), [middle.digest]);
  assert.deepEqual(await present(store, [fresh.digest]), [fresh.digest]);

  await assert.rejects(collectGarbage(store, images, { gracePeriodMs: -1 }), (err) => isKilnError(err) && err.code === 'INVALID_ARGUMENT');
});

test('candidates limit the sweep: rmi collects the removed image and nothing else', async () => {
  const { store, images } = await fixture();
  const base = await layer(store, 'base');
  const a = await putImage(store, 'a', [base]);
  const b = await putImage(store, 'b', [base, await layer(store, 'b only')]);
  const unrelated = await layer(store, 'unrelated orphan');
  await images.put({ name: 'r/a:1', target: a.manifest });
  await images.put({ name: 'r/b:1', target: b.manifest });

  const candidates = await referencedBlobs(store, [b.manifest]);
  await images.delete('r/b:1');
  const result = await collectGarbage(store, images, { gracePeriodMs: 0, candidates });
  assert.deepEqual(sorted(result.deleted.map((info) => info.digest)), sorted([b.manifest, b.config, b.layers[1]!].map((d) => d.digest)));
  assert.deepEqual(await present(store, [base.digest, unrelated.digest]), [base.digest, unrelated.digest]);

  const none = await collectGarbage(store, images, { gracePeriodMs: 0, candidates: [] });
  assert.deepEqual(none.deleted, []);
});

test('a dry run reports what a real run deletes and deletes nothing', async () => {
  const { store, images } = await fixture();
  const kept = await putImage(store, 'kept', [await layer(store, 'kept layer')]);
  await images.put({ name: 'r/kept:1', target: kept.manifest });
  await putImage(store, 'orphan', [await layer(store, 'orphan layer')]);
  const before = await allBlobs(store);

  const dry = await collectGarbage(store, images, { gracePeriodMs: 0, dryRun: true });
  assert.equal(dry.deleted.length, 3);
  assert.deepEqual(await allBlobs(store), before);

  const real = await collectGarbage(store, images, { gracePeriodMs: 0 });
  assert.deepEqual(real, dry);
  assert.equal((await allBlobs(store)).size, 3);
});

test('a corrupt or unparsable manifest referenced by a record fails GC and deletes nothing', async () => {
  const { root, store, images } = await fixture();
  const image = await putImage(store, 'rotten', [await layer(store, 'rotten layer')]);
  await layer(store, 'orphan');
  await images.put({ name: 'r/rotten:1', target: image.manifest });
  // Same length, different bytes: only the verified read can tell.
  await writeFile(blobPath(root, image.manifest.digest), 'x'.repeat(image.manifest.size));
  const before = await allBlobs(store);
  await assert.rejects(collectGarbage(store, images, { gracePeriodMs: 0 }), internalNaming(image.manifest.digest));
  assert.deepEqual(await allBlobs(store), before);

  // Intact bytes that are not a manifest at all.
  const bogus = await putBlob(store, MediaTypes.ociManifest, JSON.stringify({ schemaVersion: 2, hello: 'world' }));
  await images.put({ name: 'r/rotten:1', target: bogus });
  await assert.rejects(collectGarbage(store, images, { gracePeriodMs: 0 }), internalNaming(bogus.digest));
  assert.equal((await allBlobs(store)).size, before.size + 1);

  // An index may not claim more than 4 MiB, whatever the blob holds.
  const huge: Descriptor = { ...bogus, mediaType: MediaTypes.ociIndex, size: 5 * 1024 * 1024 };
  await assert.rejects(referencedBlobs(store, [huge]), internalNaming(bogus.digest));
});

test('a corrupt image record fails GC and deletes nothing', async () => {
  const { root, store, images } = await fixture();
  await layer(store, 'orphan');
  const dir = join(root, 'metadata', 'images');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${'0'.repeat(64)}.json`);
  await writeFile(file, '{"name": "r/half-written');
  await assert.rejects(collectGarbage(store, images, { gracePeriodMs: 0 }), (err) => isKilnError(err) && err.code === 'INTERNAL' && err.message.includes(file));
  assert.equal((await allBlobs(store)).size, 1);
});

test('a concurrent writer keeps its ingest and can commit after GC', async () => {
  const { root, store, images } = await fixture();
  await layer(store, 'orphan');
  const writer = await store.writer('pull layer');
  await writer.write(Buffer.from('half of a '));
  const result = await collectGarbage(store, images, { gracePeriodMs: 0 });
  assert.equal(result.deleted.length, 1);
  assert.equal((await readdir(join(root, 'content', 'ingest'))).length, 1);
  await writer.write(Buffer.from('layer'));
  const desc = await writer.commit();
  assert.equal(desc.digest, digestBytes('half of a layer'));
  assert.deepEqual(await present(store, [desc.digest]), [desc.digest]);
});

// A random image graph: layers, manifests naming some of them (some manifests never stored),
// indexes naming some manifests, records naming manifests and indexes, orphans; each stored
// blob is old or young and a candidate or not.
const graphs = fc.record({
  layers: fc.integer({ min: 1, max: 5 }),
  manifests: fc.array(fc.record({ layers: fc.array(fc.nat(), { maxLength: 4 }), stored: fc.boolean() }), { minLength: 1, maxLength: 4 }),
  indexes: fc.array(fc.record({ manifests: fc.array(fc.nat(), { maxLength: 4 }), stored: fc.boolean() }), { maxLength: 3 }),
  records: fc.array(fc.nat(), { maxLength: 4 }),
  orphans: fc.integer({ min: 0, max: 3 }),
  flags: fc.array(fc.record({ old: fc.boolean(), candidate: fc.boolean() }), { minLength: 1, maxLength: 20 }),
  allCandidates: fc.boolean(),
});

type Graph = typeof graphs extends fc.Arbitrary<infer T> ? T : never;

/** Writes the graph; returns the record targets and the children of every stored document. */
async function writeGraph({ store, images }: Fixture, graph: Graph): Promise<Map<Digest, Digest[]>> {
  const children = new Map<Digest, Digest[]>();
  const layers: Descriptor[] = [];
  for (let i = 0; i < graph.layers; i++) layers.push(await layer(store, `layer ${i}`));
  const manifests: Descriptor[] = [];
  for (const [j, m] of graph.manifests.entries()) {
    const image = await putImage(store, `image ${j}`, m.layers.map((n) => layers[n % layers.length]!), m.stored);
    manifests.push(image.manifest);
    if (m.stored) children.set(image.manifest.digest, [image.config, ...image.layers].map((d) => d.digest));
  }
  const targets = [...manifests];
  for (const [k, x] of graph.indexes.entries()) {
    const named = x.manifests.map((n) => manifests[n % manifests.length]!);
    const index: ImageIndex = { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: named, annotations: { n: String(k) } };
    const desc = await putDocument(store, MediaTypes.ociIndex, index, x.stored);
    targets.push(desc);
    if (x.stored) children.set(desc.digest, named.map((d) => d.digest));
  }
  for (const n of graph.records) await images.put({ name: `r/image:${n}`, target: targets[n % targets.length]! });
  for (let i = 0; i < graph.orphans; i++) await layer(store, `orphan ${i}`);
  return children;
}

function reachable(roots: Digest[], children: Map<Digest, Digest[]>): Set<Digest> {
  const seen = new Set<Digest>();
  const pending = [...roots];
  for (let digest = pending.pop(); digest !== undefined; digest = pending.pop()) {
    if (seen.has(digest)) continue;
    seen.add(digest);
    pending.push(...(children.get(digest) ?? []));
  }
  return seen;
}

test('property: after GC every reachable blob is present and every old unreachable candidate is gone', async () => {
  const base = await tempDir('gc-prop');
  await fc.assert(
    fc.asyncProperty(graphs, async (graph) => {
      const dir = await mkdtemp(join(base, 'run-'));
      try {
        const fx = open(dir);
        const children = await writeGraph(fx, graph);
        const stored = [...(await allBlobs(fx.store))].sort();
        const candidates = new Set<Digest>();
        const old = new Set<Digest>();
        for (const [i, digest] of stored.entries()) {
          const flag = graph.flags[i % graph.flags.length]!;
          if (flag.candidate || graph.allCandidates) candidates.add(digest);
          if (flag.old) {
            old.add(digest);
            await age(dir, digest, hour);
          }
        }
        const live = reachable((await fx.images.list()).map((r) => r.target.digest), children);

        const result = await collectGarbage(fx.store, fx.images, {
          gracePeriodMs: 60_000,
          candidates: graph.allCandidates ? undefined : candidates,
        });
        const expectedGone = stored.filter((d) => !live.has(d) && candidates.has(d) && old.has(d));
        assert.deepEqual(sorted(result.deleted.map((info) => info.digest)), expectedGone);
        assert.equal(result.kept, stored.length - expectedGone.length);
        const after = await allBlobs(fx.store);
        for (const digest of stored) assert.equal(after.has(digest), !expectedGone.includes(digest), digest);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: 40 },
  );
});
