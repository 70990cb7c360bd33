// Issue 7's cache export and import, as two CI runners that never met use them: two daemons on
// two store roots and a real registry (docker-registry). Runner A builds with
// --cache-to type=registry,mode=max; runner B, cold, builds the same commit with --cache-from:
// nothing runs and its image is A's, digest for digest. A changed file on B reruns only what
// depends on it. A registry that fails in the middle of an export leaves the build green with a
// warning, and the next export repairs the cache.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { writeContext } from '../helpers/build-context.js';
import { dockerfileSteps, rawjsonSteps } from '../helpers/build-steps.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { canRunContainers } from '../helpers/kiln-env.js';
import { restartKilnd, startKilnd, type Kilnd } from '../helpers/kilnd.js';
import { startRegistry } from '../helpers/registry-server.js';
import { tempDir } from '../helpers/tmp.js';

const runnerA = canRunContainers ? await startKilnd('cache-runner-a') : undefined;
let runnerB = canRunContainers ? await startKilnd('cache-runner-b') : undefined;
const registry = canRunContainers ? await startRegistry() : undefined;
after(async () => {
  await runnerA?.stop();
  await runnerB?.stop();
  await registry?.stop();
});

const dockerfile = `FROM busybox:1 AS libs
COPY libs/ /src/libs/
RUN cat /src/libs/* > /libs.txt
FROM busybox:1 AS app
COPY app/ /src/app/
RUN cat /src/app/* > /app.txt
FROM busybox:1
COPY --from=libs /libs.txt /dist/
COPY --from=app /app.txt /dist/
RUN ls /dist > /dist/index && cat /dist/*.txt > /dist/all
`;


async function build(kilnd: Kilnd, context: string, tag: string, cacheArgs: string[]) {
  const result = await kilnd.user.kiln(['--host', `unix://${kilnd.socket}`, 'build', '--progress=rawjson', '-t', tag, ...cacheArgs, context]);
  const id = (await kilnd.user.kiln(['--host', `unix://${kilnd.socket}`, 'image', 'inspect', '--format', '{{.Id}}', tag])).stdout.trim();
  return { ...result, steps: rawjsonSteps(result.stderr), id };
}

async function commit(files: Record<string, string>): Promise<string> {
  const context = await tempDir('cache-transfer-context');
  await writeContext(context, { Dockerfile: dockerfile, ...files });
  return context;
}

describe('cache export and import through a registry', { skip: canRunContainers ? false : 'needs root for the daemons' }, () => {
  it('lets a cold runner take every step from the cache of another, to the same image digest', async () => {
    const files = { 'libs/a.txt': 'lib a\n', 'libs/b.txt': 'lib b\n', 'app/main.txt': 'app v1\n' };
    const cache = `type=registry,ref=${registry!.host}/cache/app:buildcache`;
    const first = await build(runnerA!, await commit(files), 'app:1', ['--cache-to', `${cache},mode=max`]);
    assert.equal(first.status, 0, first.stderr);
    assert.ok(dockerfileSteps(first.steps).every((step) => !step.cached), 'runner A builds everything');
    assert.ok(first.steps.some((step) => step.name.startsWith('exporting cache to registry') && step.error === undefined), first.stderr);

    const cold = await build(runnerB!, await commit(files), 'app:1', ['--cache-from', cache]);
    assert.equal(cold.status, 0, cold.stderr);
    const steps = dockerfileSteps(cold.steps);
    assert.ok(steps.length >= 7, JSON.stringify(steps));
    assert.deepEqual(steps.filter((step) => !step.cached).map((step) => step.name), [], 'nothing runs on runner B');
    assert.equal(cold.id, first.id, 'runner B makes runner A\'s image');
    const run = await runnerB!.user.kiln(['--host', `unix://${runnerB!.socket}`, 'run', '--rm', 'app:1', 'cat', '/dist/all']);
    assert.equal(run.stdout, 'app v1\nlib a\nlib b\n', run.stderr);

    // One file of the app changes on B: its stage and the steps that copy from it run again.
    const changed = await build(runnerB!, await commit({ ...files, 'app/main.txt': 'app v2\n' }), 'app:2', ['--cache-from', cache]);
    assert.equal(changed.status, 0, changed.stderr);
    const ran = dockerfileSteps(changed.steps).filter((step) => !step.cached).map((step) => step.name.replace(/^\[[^\]]*\] /, ''));
    assert.deepEqual(ran.sort(), ['COPY --from=app /app.txt /dist/', 'COPY app/ /src/app/', 'RUN cat /src/app/* > /app.txt', 'RUN ls /dist > /dist/index && cat /dist/*.txt > /dist/all'].sort());
  });

  it('carries the image\'s own records inline in its config, for a runner that pulls the image as its cache', async () => {
    const files = { 'libs/a.txt': 'inline lib\n', 'app/main.txt': 'inline app\n' };
    const image = `${registry!.host}/apps/inline:1`;
    const pushed = await build(runnerA!, await commit(files), image, ['--cache-to', 'type=inline', '--push']);
    assert.equal(pushed.status, 0, pushed.stderr);
    const cold = await build(runnerB!, await commit(files), image, ['--cache-from', image, '--cache-to', 'type=inline']);
    assert.equal(cold.status, 0, cold.stderr);
    // mode=min: the final stage's steps are the image's; the stages it copies from are not needed.
    const finalStage = dockerfileSteps(cold.steps).filter((step) => /^\[stage-2/.test(step.name));
    assert.ok(finalStage.length >= 3, JSON.stringify(cold.steps));
    assert.deepEqual(finalStage.filter((step) => !step.cached).map((step) => step.name), []);
    assert.equal(cold.id, pushed.id, 'the same image, inline cache included');
  });

  it('carries cache mounts to another runner when asked to, filling a mount only where the runner has none', async () => {
    const context = await tempDir('cache-transfer-mounts');
    await writeContext(context, {
      Dockerfile: 'FROM busybox:1\nARG RUNNER\nRUN --mount=type=cache,id=pkgs,target=/cache sh -c \'ls /cache > /seen; echo from-$RUNNER > /cache/$RUNNER.txt\'\n',
    });
    const ref = `type=registry,ref=${registry!.host}/cache/mounts:buildcache`;
    const exported = await build(runnerA!, context, 'mounts:a', ['--build-arg', 'RUNNER=a', '--cache-to', `${ref},mode=max,cache-mounts=true`]);
    assert.equal(exported.status, 0, exported.stderr);
    assert.match(exported.stderr, /1 cache mounts/);
    const imported = await build(runnerB!, context, 'mounts:b', ['--build-arg', 'RUNNER=b', '--cache-from', `${ref},cache-mounts=true`]);
    assert.equal(imported.status, 0, imported.stderr);
    const seen = await runnerB!.user.kiln(['--host', `unix://${runnerB!.socket}`, 'run', '--rm', 'mounts:b', 'cat', '/seen']);
    assert.equal(seen.stdout, 'a.txt\n', 'the RUN on runner B found runner A\'s cache');
    // The mount is B's own now: the next build uses it as it is (b's file with a's).
    const again = await build(runnerB!, context, 'mounts:c', ['--build-arg', 'RUNNER=c', '--cache-from', `${ref},cache-mounts=true`]);
    assert.equal(again.status, 0, again.stderr);
    const after = await runnerB!.user.kiln(['--host', `unix://${runnerB!.socket}`, 'run', '--rm', 'mounts:c', 'cat', '/seen']);
    assert.equal(after.stdout, 'a.txt\nb.txt\n');
  });

  it('warns when the registry fails in the middle of an export, and repairs the cache on the next one', async () => {
    const proxy = await startFaultProxy(registry!.host, [{ method: 'PUT', path: /\/blobs\/uploads\//, times: 100, status: 500 }]);
    try {
      const files = { 'libs/a.txt': 'lib x\n', 'app/main.txt': 'app x\n' };
      const cache = `type=registry,ref=${proxy.host}/cache/flaky:buildcache,mode=max`;
      const failed = await build(runnerA!, await commit(files), 'flaky:1', ['--cache-to', cache]);
      assert.equal(failed.status, 0, `the build itself succeeds: ${failed.stderr}`);
      assert.match(failed.stderr, /WARNING: exporting cache to registry .*flaky:buildcache failed/);
      assert.ok(proxy.log.some((request) => request.faulted), 'the registry failed uploads');

      const strict = await startFaultProxy(registry!.host, [{ method: 'PUT', path: /\/blobs\/uploads\//, times: 1000, status: 500 }]);
      try {
        const refused = await build(runnerA!, await commit(files), 'flaky:2', ['--cache-to', `type=registry,ref=${strict.host}/cache/flaky:buildcache,mode=max,ignore-error=false`]);
        assert.notEqual(refused.status, 0, 'ignore-error=false makes the failure the build\'s');
        assert.match(refused.stderr, /exporting cache to registry .*flaky:buildcache/);
      } finally {
        await strict.stop();
      }

      proxy.log.length = 0;
      const repaired = await build(runnerA!, await commit(files), 'flaky:3', ['--cache-to', `type=registry,ref=${registry!.host}/cache/flaky:buildcache,mode=max`]);
      assert.equal(repaired.status, 0, repaired.stderr);
      assert.doesNotMatch(repaired.stderr, /WARNING/);
      const cold = await build(runnerB!, await commit(files), 'flaky:1', ['--cache-from', `${registry!.host}/cache/flaky:buildcache`]);
      assert.deepEqual(dockerfileSteps(cold.steps).filter((step) => !step.cached).map((step) => step.name), []);
      assert.equal(cold.id, repaired.id);
    } finally {
      await proxy.stop();
    }
  });

  it('runs the steps itself, with a warning, when the cache\'s layers cannot be fetched', async () => {
    const files = { 'libs/a.txt': 'gone lib\n', 'app/main.txt': 'gone app\n' };
    const ref = `${registry!.host}/cache/gone:buildcache`;
    const first = await build(runnerA!, await commit(files), 'gone:1', ['--cache-to', `type=registry,ref=${ref},mode=max`]);
    assert.equal(first.status, 0, first.stderr);
    // The registry lost the layers (garbage-collected under the cache's manifest); the first
    // blob read, the cache's config, still comes.
    const proxy = await startFaultProxy(registry!.host, [{ method: 'GET', path: /\/blobs\/sha256:/, times: 1000, skip: 1, status: 404 }]);
    try {
      const built = await build(runnerB!, await commit(files), 'gone:1', ['--cache-from', `${proxy.host}/cache/gone:buildcache`]);
      assert.equal(built.status, 0, built.stderr);
      assert.match(built.stderr, /WARNING: importing cache from .*gone:buildcache: /);
      assert.doesNotMatch(built.stderr, /^WARNING: importing cache manifest/m, 'the cache itself was read');
      assert.ok(dockerfileSteps(built.steps).some((step) => !step.cached), 'the steps ran on runner B');
      const run = await runnerB!.user.kiln(['--host', `unix://${runnerB!.socket}`, 'run', '--rm', 'gone:1', 'cat', '/dist/all']);
      assert.equal(run.stdout, 'gone app\ngone lib\n', run.stderr);
    } finally {
      await proxy.stop();
    }
  });

  it('survives a kill -9 of the runner in the middle of an import: the next daemon imports again, to the same image', async () => {
    const files = { 'libs/a.txt': 'killed lib\n', 'app/main.txt': 'killed app\n' };
    const ref = `${registry!.host}/cache/killed:buildcache`;
    const first = await build(runnerA!, await commit(files), 'killed:1', ['--cache-to', `type=registry,ref=${ref},mode=max`]);
    assert.equal(first.status, 0, first.stderr);
    // The layers come slowly (the cache's config, the first blob read, does not): the daemon is
    // killed while it waits for them, with the base's chain being made.
    const proxy = await startFaultProxy(registry!.host, [{ method: 'GET', path: /\/blobs\/sha256:/, times: 100, skip: 1, delayMs: 1_500 }]);
    try {
      const stopped = runnerB!;
      const building = stopped.user.kiln(['--host', `unix://${stopped.socket}`, 'build', '-t', 'killed:1', '--cache-from', `${proxy.host}/cache/killed:buildcache`, await commit(files)]);
      const deadline = Date.now() + 30_000;
      while (!proxy.log.some((request) => request.faulted && request.method === 'GET')) {
        assert.ok(Date.now() < deadline, 'the import never asked for a layer');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      stopped.daemon.kill('SIGKILL');
      assert.notEqual((await building).status, 0);
      runnerB = await restartKilnd(stopped);
    } finally {
      await proxy.stop();
    }
    const again = await build(runnerB!, await commit(files), 'killed:1', ['--cache-from', ref]);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(dockerfileSteps(again.steps).filter((step) => !step.cached).map((step) => step.name), []);
    assert.equal(again.id, first.id);
    const run = await runnerB!.user.kiln(['--host', `unix://${runnerB!.socket}`, 'run', '--rm', 'killed:1', 'cat', '/dist/all']);
    assert.equal(run.stdout, 'killed app\nkilled lib\n', run.stderr);
  });
});
