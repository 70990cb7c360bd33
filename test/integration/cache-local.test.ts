// Issue 7's cache export and import through an OCI layout directory (`type=local`), as two
// runners sharing a cache directory use it: two daemons on two store roots. Runner A exports
// with --cache-to type=local; the directory is an OCI layout naming the cache by its tag;
// runner B, cold, imports it with --cache-from and runs nothing, to A's image. Also: another
// tag, paths relative to the CLI's working directory, a cache that is not there (a warning, the
// build goes on), a bad flag (refused before anything is built), and what mode=min guarantees.
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { refNameAnnotation } from '../../src/archive/annotations.js';
import { MediaTypes, type ImageIndex, type ImageManifest } from '../../src/image/index.js';
import { digestBytes } from '../../src/content/index.js';
import { cacheConfigMediaType, type CacheConfig } from '../../src/remotecache/config.js';
import { writeContext } from '../helpers/build-context.js';
import { dockerfileSteps, rawjsonSteps, type EndedStep } from '../helpers/build-steps.js';
import { canRunContainers } from '../helpers/kiln-env.js';
import { requestsOf, startKilnd, type Kilnd } from '../helpers/kilnd.js';
import { tempDir } from '../helpers/tmp.js';

const runnerA = canRunContainers ? await startKilnd('cache-local-a') : undefined;
const runnerB = canRunContainers ? await startKilnd('cache-local-b') : undefined;
after(async () => {
  await runnerA?.stop();
  await runnerB?.stop();
});

const dockerfile = `FROM busybox:1 AS libs
COPY libs/ /src/libs/
RUN cat /src/libs/* > /libs.txt
FROM busybox:1 AS app
COPY --from=libs /libs.txt /dist/
COPY app/ /src/app/
RUN cat /src/app/* /dist/libs.txt > /dist/all
`;

const uncached = (steps: EndedStep[]): string[] => dockerfileSteps(steps).filter((step) => !step.cached).map((step) => step.name);

async function build(kilnd: Kilnd, context: string, tag: string, cacheArgs: string[], cwd?: string) {
  const result = await kilnd.user.kiln(['--host', `unix://${kilnd.socket}`, 'build', '--progress=rawjson', '-t', tag, ...cacheArgs, context], cwd === undefined ? {} : { cwd });
  const id = result.status === 0 ? (await kilnd.user.kiln(['--host', `unix://${kilnd.socket}`, 'image', 'inspect', '--format', '{{.Id}}', tag])).stdout.trim() : '';
  return { ...result, steps: rawjsonSteps(result.stderr), id };
}

/** A commit's build context; `name` makes its files (and so its steps' keys) its own. */
async function commit(name: string): Promise<string> {
  const context = await tempDir('cache-local-context');
  await writeContext(context, { Dockerfile: dockerfile, 'libs/a.txt': `lib a of ${name}\n`, 'libs/b.txt': `lib b of ${name}\n`, 'app/main.txt': `app of ${name}\n` });
  return context;
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

/** The names index.json lists its entries under. */
async function layoutNames(dir: string): Promise<string[]> {
  const index = await readJson<ImageIndex>(join(dir, 'index.json'));
  return index.manifests.map((entry) => entry.annotations?.[refNameAnnotation] ?? '').sort();
}

/** The record keys of the cache a layout names `latest`. */
async function cacheKeys(dir: string): Promise<string[]> {
  const blobPath = (digest: string): string => join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  const entry = (await readJson<ImageIndex>(join(dir, 'index.json'))).manifests.find((desc) => desc.annotations?.[refNameAnnotation] === 'latest');
  assert.ok(entry !== undefined, `${dir} names no cache latest`);
  const manifest = await readJson<ImageManifest>(blobPath(entry.digest));
  const config = await readJson<CacheConfig>(blobPath(manifest.config.digest));
  return config.records.map((record) => record.key);
}

/** A cold runner B takes the whole of A's build from the cache: nothing runs, the same image. */
async function assertAllCached(cold: Awaited<ReturnType<typeof build>>, first: Awaited<ReturnType<typeof build>>): Promise<void> {
  assert.equal(cold.status, 0, cold.stderr);
  assert.ok(dockerfileSteps(cold.steps).length >= 6, JSON.stringify(cold.steps));
  assert.deepEqual(uncached(cold.steps), [], 'nothing runs on runner B');
  assert.equal(cold.id, first.id, 'runner B makes runner A\'s image');
  assert.doesNotMatch(cold.stderr, /WARNING/);
}

describe('cache export and import through an OCI layout directory', { skip: canRunContainers ? false : 'needs root for the daemons' }, () => {
  it('lets a cold runner take every step from a mode=max cache directory, to the same image', async () => {
    const dir = join(await tempDir('cache-local-max'), 'cache');
    const first = await build(runnerA!, await commit('max'), 'local-max:1', ['--cache-to', `type=local,dest=${dir},mode=max`]);
    assert.equal(first.status, 0, first.stderr);
    assert.deepEqual(dockerfileSteps(first.steps).filter((step) => step.cached && !step.name.includes('FROM')).map((step) => step.name), [], 'runner A builds everything');
    assert.ok(first.steps.some((step) => step.name === `exporting cache to ${dir}` && step.error === undefined), first.stderr);

    // An OCI layout: the marker, and index.json naming the cache `latest`, a manifest whose
    // config is the cache config and whose blobs are all in the layout.
    assert.deepEqual(await readJson(join(dir, 'oci-layout')), { imageLayoutVersion: '1.0.0' });
    const index = await readJson<ImageIndex>(join(dir, 'index.json'));
    assert.equal(index.manifests.length, 1);
    const entry = index.manifests[0]!;
    assert.equal(entry.annotations?.[refNameAnnotation], 'latest');
    assert.equal(entry.mediaType, MediaTypes.ociManifest);
    const blobPath = (digest: string): string => join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
    const manifest = await readJson<ImageManifest>(blobPath(entry.digest));
    assert.equal(manifest.config.mediaType, cacheConfigMediaType);
    assert.ok(manifest.layers.length >= 3, 'the base image\'s layer and the steps\' layers');
    for (const blob of [manifest.config, ...manifest.layers]) assert.equal((await stat(blobPath(blob.digest))).size, blob.size, blob.digest);

    const cold = await build(runnerB!, await commit('max'), 'local-max:1', ['--cache-from', `type=local,src=${dir}`]);
    await assertAllCached(cold, first);
    assert.ok(cold.steps.some((step) => step.name === `importing cache manifest from ${dir}` && step.error === undefined), cold.stderr);
    const run = await runnerB!.user.kiln(['--host', `unix://${runnerB!.socket}`, 'run', '--rm', 'local-max:1', 'cat', '/dist/all']);
    assert.equal(run.stdout, 'app of max\nlib a of max\nlib b of max\n', run.stderr);
  });

  it('exports under another tag beside the others, and imports by that tag', async () => {
    const dir = join(await tempDir('cache-local-tag'), 'cache');
    const first = await build(runnerA!, await commit('latest-tag'), 'local-tag:1', ['--cache-to', `type=local,dest=${dir},mode=max`]);
    assert.equal(first.status, 0, first.stderr);
    const second = await build(runnerA!, await commit('v2-tag'), 'local-tag:2', ['--cache-to', `type=local,dest=${dir},tag=v2,mode=max`]);
    assert.equal(second.status, 0, second.stderr);
    assert.deepEqual(await layoutNames(dir), ['latest', 'v2']);

    const cold = await build(runnerB!, await commit('v2-tag'), 'local-tag:2', ['--cache-from', `type=local,src=${dir},tag=v2`]);
    await assertAllCached(cold, second);
  });

  it('resolves a relative dest= and src= against the CLI\'s working directory', async () => {
    const work = await tempDir('cache-local-cwd');
    const first = await build(runnerA!, await commit('relative'), 'local-rel:1', ['--cache-to', 'type=local,dest=caches/app,mode=max'], work);
    assert.equal(first.status, 0, first.stderr);
    assert.ok(first.steps.some((step) => step.name === `exporting cache to ${join(work, 'caches/app')}`), first.stderr);
    assert.deepEqual(await layoutNames(join(work, 'caches/app')), ['latest']);

    const cold = await build(runnerB!, await commit('relative'), 'local-rel:1', ['--cache-from', 'type=local,src=./caches/app'], work);
    await assertAllCached(cold, first);
  });

  it('warns about a cache directory that is not there, or has no cache of the tag, and builds without it', async () => {
    const empty = await tempDir('cache-local-empty');
    await writeFile(join(empty, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFile(join(empty, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] }));
    const result = await build(runnerA!, await commit('missing'), 'local-missing:1', ['--cache-from', 'type=local,src=/nonexistent', '--cache-from', `type=local,src=${empty},tag=v9`]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /^WARNING: importing cache manifest from \/nonexistent: \S.*$/m);
    assert.ok(result.stderr.includes(`WARNING: importing cache manifest from ${empty}: no cache tagged v9 in ${empty}`), result.stderr);
    assert.ok(dockerfileSteps(result.steps).some((step) => step.name.includes('RUN') && !step.cached), 'the build ran its steps');
    assert.ok(result.steps.some((step) => step.name === 'importing cache manifest from /nonexistent' && step.error !== undefined), result.stderr);
  });

  it('refuses a bad --cache-to before building, naming the flag', async () => {
    const from = runnerA!.log().length;
    const result = await build(runnerA!, await commit('bad-flag'), 'local-bad:1', ['--cache-to', 'type=s3,ref=x']);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /--cache-to: unknown cache type "s3"/);
    assert.deepEqual(result.steps, [], 'no step started');
    // A request the daemon did get is in its log; no build request is.
    await runnerA!.user.kiln(['--host', `unix://${runnerA!.socket}`, 'image', 'inspect', 'busybox:1']);
    const requests = requestsOf(runnerA!, from);
    assert.ok(requests.some((request) => request.includes('busybox')), JSON.stringify(requests));
    assert.deepEqual(requests.filter((request) => request.includes('build')), [], 'the daemon was never asked to build');
  });

  it('with mode=min, gives a cold runner the final stage\'s steps, to the same image', async () => {
    const dir = join(await tempDir('cache-local-min'), 'cache');
    const maxDir = join(await tempDir('cache-local-min'), 'cache');
    const first = await build(runnerA!, await commit('min'), 'local-min:1', ['--cache-to', `type=local,dest=${dir},mode=min`, '--cache-to', `type=local,dest=${maxDir},mode=max`]);
    assert.equal(first.status, 0, first.stderr);
    // min files the image's own chain only: fewer records than max, each of them one of max's.
    const minKeys = await cacheKeys(dir);
    const maxKeys = await cacheKeys(maxDir);
    assert.ok(minKeys.length > 0 && minKeys.length < maxKeys.length, `min ${minKeys.length} records, max ${maxKeys.length}`);
    assert.deepEqual(minKeys.filter((key) => !maxKeys.includes(key)), []);

    const cold = await build(runnerB!, await commit('min'), 'local-min:1', ['--cache-from', `type=local,src=${dir}`]);
    assert.equal(cold.status, 0, cold.stderr);
    assert.equal(cold.id, first.id, 'runner B makes runner A\'s image');
    const finalStage = dockerfileSteps(cold.steps).filter((step) => step.name.startsWith('[app '));
    assert.ok(finalStage.length >= 3, JSON.stringify(cold.steps));
    assert.deepEqual(finalStage.filter((step) => !step.cached).map((step) => step.name), [], 'the final stage\'s steps come from the cache');
  });

  it('refuses a layer whose bytes are not the diff ID the cache gives: a warning, and the step runs', async () => {
    const dir = join(await tempDir('cache-local-tampered'), 'cache');
    const first = await build(runnerA!, await commit('tampered'), 'local-tampered:1', ['--cache-to', `type=local,dest=${dir},mode=max`]);
    assert.equal(first.status, 0, first.stderr);
    // Someone edits the cache: every step layer is said to unpack to another tar.
    const blobPath = (digest: string): string => join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
    const index = await readJson<ImageIndex>(join(dir, 'index.json'));
    const entry = index.manifests.find((desc) => desc.annotations?.[refNameAnnotation] === 'latest') as ImageIndex['manifests'][number];
    const manifest = await readJson<ImageManifest>(blobPath(entry.digest));
    const config = await readJson<CacheConfig>(blobPath(manifest.config.digest));
    const lying = { ...config, layers: config.layers.map((layer) => (layer.image === true ? layer : { ...layer, diffId: digestBytes(`not ${layer.diffId}`) })) };
    const write = async (value: object): Promise<{ digest: string; size: number }> => {
      const bytes = Buffer.from(JSON.stringify(value));
      const digest = digestBytes(bytes);
      await writeFile(blobPath(digest), bytes);
      return { digest, size: bytes.length };
    };
    const newManifest = { ...manifest, config: { ...manifest.config, ...(await write(lying)) } };
    const written = await write(newManifest);
    await writeFile(join(dir, 'index.json'), JSON.stringify({ ...index, manifests: index.manifests.map((desc) => (desc === entry ? { ...desc, ...written } : desc)) }));

    const cold = await build(runnerB!, await commit('tampered'), 'local-tampered:1', ['--cache-from', `type=local,src=${dir}`]);
    assert.equal(cold.status, 0, cold.stderr);
    assert.match(cold.stderr, /WARNING: importing cache from .*: layer sha256:[0-9a-f]{64} unpacks to sha256:[0-9a-f]{64}, not the diff ID/);
    assert.ok(uncached(cold.steps).length > 0, 'the steps ran');
    const run = await runnerB!.user.kiln(['--host', `unix://${runnerB!.socket}`, 'run', '--rm', 'local-tampered:1', 'cat', '/dist/all']);
    assert.equal(run.stdout, 'app of tampered\nlib a of tampered\nlib b of tampered\n', run.stderr);
  });
});
