// `kiln build` on the busybox fixture, verified by running what it built: the Dockerfile's
// steps and config, every step CACHED and the same image ID on an unchanged rebuild, only the
// dependents of a changed file run again, and a failing RUN exits 1 with its output.
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { diffViewPrefix } from '../../src/exporter/index.js';
import { mountAll, OverlaySnapshotter } from '../../src/snapshot/index.js';
import { canRunContainers, containerUser } from '../helpers/kiln-env.js';
import { stepsMarked } from '../helpers/build-steps.js';
import { tempDir } from '../helpers/tmp.js';

describe('kiln build', { skip: canRunContainers ? false : 'needs root for mounts and runc' }, async () => {
  const user = await containerUser('build');
  const context = await tempDir('build-context');
  await mkdir(join(context, 'src'));
  await writeFile(join(context, 'src', 'greeting.txt'), 'hello\n');
  await writeFile(join(context, 'notes.md'), 'not for the image\n');
  await writeFile(join(context, '.dockerignore'), '*.md\n');
  await writeFile(join(context, 'Dockerfile'), [
    'FROM busybox:1',
    'ARG FLAVOUR=plain',
    'ENV APP_HOME=/app',
    'WORKDIR $APP_HOME',
    'COPY src/ ./',
    'RUN cat greeting.txt > built.txt && echo "$FLAVOUR" >> built.txt && ls > listing.txt',
    'USER nobody',
    'CMD ["sh", "-c", "cat /app/built.txt; id -u"]',
    '',
  ].join('\n'));
  // Files written just now are hashed again by every build (the stat cache does not trust them yet).
  await delay(150);

  const steps = (stderr: string, mark: string): string[] => stepsMarked(stderr, mark);

  it('builds and tags an image that runs as the Dockerfile says', async () => {
    const built = await user.kiln(['build', '-t', 'app:1', '--build-arg', 'FLAVOUR=spicy', context]);
    assert.equal(built.status, 0, built.stderr);
    assert.match(built.stderr, /naming to docker\.io\/library\/app:1 done/);
    const ran = await user.kiln(['run', '--rm', 'app:1']);
    assert.deepEqual([ran.status, ran.stdout], [0, 'hello\nspicy\n65534\n'], ran.stderr);
    const listing = await user.kiln(['run', '--rm', 'app:1', 'cat', 'listing.txt']);
    assert.equal(listing.stdout, 'built.txt\ngreeting.txt\nlisting.txt\n', 'what .dockerignore excludes stays out');
    const inspect = JSON.parse((await user.kiln(['image', 'inspect', 'app:1'])).stdout) as [{ Config: { Env: string[]; WorkingDir: string; User: string } }];
    assert.ok(inspect[0].Config.Env.includes('APP_HOME=/app'));
    assert.deepEqual([inspect[0].Config.WorkingDir, inspect[0].Config.User], ['/app', 'nobody']);
  });

  it('shows every step CACHED and gives the same image on an unchanged rebuild', async () => {
    const first = await user.kiln(['build', '-q', '--build-arg', 'FLAVOUR=spicy', context]);
    const again = await user.kiln(['build', '--build-arg', 'FLAVOUR=spicy', context]);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(steps(again.stderr, 'DONE'), []);
    assert.equal(steps(again.stderr, 'CACHED').length, 4, again.stderr);
    assert.match(again.stderr, new RegExp(`writing image ${first.stdout.trim()} done`));
  });

  it('runs again only what a changed file reaches, and what a changed ARG reaches', async () => {
    await writeFile(join(context, 'src', 'greeting.txt'), 'hi again\n');
    await delay(150);
    const changed = await user.kiln(['build', '-t', 'app:1', '--build-arg', 'FLAVOUR=spicy', context]);
    assert.equal(changed.status, 0, changed.stderr);
    assert.deepEqual(steps(changed.stderr, 'DONE').map((name) => name.split(' ')[1]), ['COPY', 'RUN']);
    assert.equal((await user.kiln(['run', '--rm', 'app:1'])).stdout, 'hi again\nspicy\n65534\n');
    const otherArg = await user.kiln(['build', '--build-arg', 'FLAVOUR=mild', context]);
    assert.deepEqual(steps(otherArg.stderr, 'DONE').map((name) => name.split(' ')[1]), ['RUN']);
  });

  it('gives RUN a cache that outlives builds, a tmpfs, a read-only bind of the context and a #! heredoc script', async () => {
    const dir = await tempDir('build-mounts');
    await mkdir(join(dir, 'conf'));
    await writeFile(join(dir, 'conf', 'app.conf'), 'port=80\n');
    await writeFile(join(dir, 'conf', 'secret.key'), 'hidden\n');
    await writeFile(join(dir, '.dockerignore'), 'conf/secret.key\n');
    await writeFile(join(dir, 'Dockerfile'), [
      'FROM busybox:1',
      'ARG ROUND=1',
      'RUN --mount=type=cache,target=/var/cache/app --mount=type=tmpfs,target=/scratch --mount=type=bind,source=conf,target=/conf \\',
      '    echo "$ROUND" >> /var/cache/app/rounds && cp /var/cache/app/rounds /rounds && echo tmp > /scratch/x && ls /conf > /conf-listing',
      'RUN <<EOF',
      '#!/bin/sh',
      'echo "from a script" > /script-output',
      'EOF',
      '',
    ].join('\n'));
    await delay(150);
    for (const round of ['1', '2']) assert.equal((await user.kiln(['build', '-t', 'mounts:1', '--build-arg', `ROUND=${round}`, dir])).status, 0);
    const show = await user.kiln(['run', '--rm', 'mounts:1', 'sh', '-c', 'cat /rounds /conf-listing /script-output; ls /scratch | wc -l; ls /var/cache/app 2>/dev/null | wc -l']);
    assert.equal(show.stdout, '1\n2\napp.conf\nfrom a script\n0\n0\n', show.stderr);
  });

  it('after kill -9 of the daemon in the middle of a RUN, the next daemon sweeps the step and a rebuild succeeds', async () => {
    const dir = await tempDir('build-killed');
    await writeFile(join(dir, 'Dockerfile'), 'FROM busybox:1\nARG NAP=0\nRUN echo napping; sleep "$NAP"; echo awake > /state\n');
    const runcRoot = join(user.root, 'build', 'runc');
    const interrupted = user.kiln(['build', '-t', 'napper:1', '--build-arg', 'NAP=30', dir]);
    // Once the step's container runs, the daemon goes the hard way.
    for (let waited = 0; (await readdir(runcRoot).catch(() => [])).length === 0; waited += 50) {
      assert.ok(waited < 30_000, 'the RUN step never started');
      await delay(50);
    }
    process.kill(Number(await readFile(join(user.root, 'kilnd.pid'), 'utf8')), 'SIGKILL');
    const cut = await interrupted;
    assert.notEqual(cut.status, 0);
    assert.match(cut.stderr, /daemon closed the connection before the build ended/);
    // What a kill in the middle of an export leaves: the differ's parent view, mounted.
    const snapshotter = new OverlaySnapshotter(user.root);
    const committed = (await snapshotter.list()).find((info) => info.kind === 'committed');
    assert.ok(committed !== undefined);
    const viewDir = join(snapshotter.mountDir, 'diff-left');
    await mkdir(viewDir, { recursive: true });
    await mountAll(await snapshotter.view(`${diffViewPrefix}0123456789ab`, committed.key), viewDir);

    const rebuilt = await user.kiln(['build', '-t', 'napper:1', dir]);
    assert.equal(rebuilt.status, 0, rebuilt.stderr);
    assert.equal((await user.kiln(['run', '--rm', 'napper:1', 'cat', '/state'])).stdout, 'awake\n');
    assert.match(await readFile(join(user.root, 'kilnd.log'), 'utf8'), /"interruptedBuildSteps":1/);
    assert.deepEqual(await readdir(runcRoot).catch(() => []), []);
    // The steps' logs stay (they are what a failed build points at); nothing else may.
    assert.deepEqual((await readdir(join(user.root, 'build'))).filter((name) => name !== 'runc' && name !== 'logs'), []);
    assert.ok(!(await readFile('/proc/self/mountinfo', 'utf8')).includes(join(user.root, 'build')), 'a mount is left under the build dir');
    assert.ok(!(await readFile('/proc/self/mountinfo', 'utf8')).includes(snapshotter.mountDir), 'a parent view is left mounted');
    assert.deepEqual((await new OverlaySnapshotter(user.root).list()).filter((info) => info.key.startsWith(diffViewPrefix)), []);
  });

  it('fails with exit code 1 and the step\'s output when a RUN fails, and builds again afterwards', async () => {
    const broken = await tempDir('build-broken');
    await writeFile(join(broken, 'Dockerfile'), 'FROM busybox:1\nRUN echo about to fail; exit 7\n');
    const failed = await user.kiln(['build', '-t', 'broken:1', broken]);
    assert.equal(failed.status, 1);
    assert.match(failed.stderr, /process "\/bin\/sh -c echo about to fail; exit 7" did not complete successfully: exit code: 7/);
    assert.match(failed.stderr, /^about to fail$/m);
    assert.equal((await user.kiln(['image', 'inspect', 'broken:1'])).status, 1);
    const missing = await user.kiln(['build', join(broken, 'nowhere')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /failed to read the Dockerfile/);
    assert.equal((await user.kiln(['build', '-q', context])).status, 0);
    assert.equal(await readFile(join(context, 'notes.md'), 'utf8'), 'not for the image\n');
  });
});
