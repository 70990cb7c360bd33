// Dockerfile semantics end to end, on the busybox fixture, checked by running what was built:
// ADD of local archives (extracted, --chown applied; a file only named like a tar copied), ADD
// of a URL from a server on 127.0.0.1 with --checksum, a symbolic --chmod, COPY --link staying
// CACHED when its base changes, and ONBUILD triggers of an image built first.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { canRunContainers, containerUser } from '../helpers/kiln-env.js';
import { serveOnLoopback } from '../helpers/loopback-server.js';
import { makeTar } from '../helpers/tar-files.js';
import { stepsMarked } from '../helpers/build-steps.js';
import { tempDir } from '../helpers/tmp.js';

describe('kiln build: ADD, COPY --link and ONBUILD', { skip: canRunContainers ? false : 'needs root for mounts and runc' }, async () => {
  const user = await containerUser('build-dockerfile');
  const tool = 'downloaded tool\n';
  const server = createServer((req, res) => {
    if (req.url !== '/files/tool.sh') res.writeHead(404).end();
    else res.writeHead(200, { 'last-modified': new Date('2020-01-02T03:04:05Z').toUTCString() }).end(tool);
  });
  const { host } = await serveOnLoopback(server, 'file server');

  async function context(name: string, files: Record<string, string | Buffer>): Promise<string> {
    const dir = await tempDir(`build-dockerfile-${name}`);
    for (const [path, data] of Object.entries(files)) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), data);
    }
    // Files written just now are hashed again by every build (the stat cache does not trust them yet).
    await delay(150);
    return dir;
  }

  const run = async (image: string, script: string): Promise<string> => {
    const ran = await user.kiln(['run', '--rm', image, 'sh', '-c', script]);
    assert.equal(ran.status, 0, ran.stderr);
    return ran.stdout;
  };

  it('extracts local tar archives (gzip too, with --chown), copies a look-alike, and downloads a checksummed URL', async () => {
    const archive = await makeTar([{ name: 'app/', type: 'directory' }, { name: 'app/data.txt', data: 'from the archive\n' }]);
    const sum = `sha256:${createHash('sha256').update(tool).digest('hex')}`;
    const dir = await context('add', {
      'plain.tar': archive,
      'app.tgz': gzipSync(archive),
      'notes.tar': 'only named like a tar\n',
      Dockerfile: [
        'FROM busybox:1',
        'ADD plain.tar /plain/',
        'ADD --chown=12:34 app.tgz /srv',
        'ADD notes.tar /docs/',
        `ADD --checksum=${sum} --chmod=0750 http://${host}/files/tool.sh /usr/local/bin/`,
        `ADD http://${host}/files/tool.sh /dl/`,
        'COPY --chmod=u+x,go-w notes.tar /bin/notes',
        '',
      ].join('\n'),
    });
    const built = await user.kiln(['build', '-t', 'add:1', dir]);
    assert.equal(built.status, 0, built.stderr);
    assert.equal(await run('add:1', 'cat /plain/app/data.txt /srv/app/data.txt /docs/notes.tar'), 'from the archive\nfrom the archive\nonly named like a tar\n');
    assert.equal(await run('add:1', 'stat -c "%u:%g" /srv/app /srv/app/data.txt; stat -c %u:%g /plain/app/data.txt'), '12:34\n12:34\n0:0\n');
    assert.equal(await run('add:1', 'cat /usr/local/bin/tool.sh; stat -c %a /usr/local/bin/tool.sh /dl/tool.sh; date -u -r /dl/tool.sh +%Y'), `${tool}750\n600\n2020\n`);
    assert.equal(await run('add:1', 'stat -c %a /bin/notes'), '744\n', 'a symbolic --chmod changes the file\'s own 0644');

    const wrong = await context('add-wrong', { Dockerfile: `FROM busybox:1\nADD --checksum=sha256:${'0'.repeat(64)} http://${host}/files/tool.sh /\n` });
    const failed = await user.kiln(['build', wrong]);
    assert.equal(failed.status, 1);
    assert.match(failed.stderr, new RegExp(`checksum mismatch: expected sha256:0{64}, got ${sum}`));
  });

  it('keeps a COPY --link CACHED when its base changes, with one layer of its own', async () => {
    const dir = await context('link', {
      'greeting.txt': 'linked hello\n',
      Dockerfile: [
        'FROM busybox:1 AS base',
        'ARG BASE=one',
        'RUN echo "$BASE" > /base.txt',
        'FROM base',
        'COPY --link greeting.txt /linked/',
        '',
      ].join('\n'),
    });
    const first = await user.kiln(['build', '-t', 'link:1', '--build-arg', 'BASE=one', dir]);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(await run('link:1', 'cat /base.txt /linked/greeting.txt'), 'one\nlinked hello\n');
    const second = await user.kiln(['build', '-t', 'link:1', '--build-arg', 'BASE=two', dir]);
    assert.equal(second.status, 0, second.stderr);
    assert.ok(stepsMarked(second.stderr, 'CACHED').some((name) => name.endsWith('COPY --link greeting.txt /linked/')), second.stderr);
    assert.ok(stepsMarked(second.stderr, 'DONE').some((name) => name.includes('RUN echo')), second.stderr);
    assert.equal(await run('link:1', 'cat /base.txt /linked/greeting.txt'), 'two\nlinked hello\n');
    const layers = async (ref: string): Promise<number> => (JSON.parse((await user.kiln(['image', 'inspect', ref])).stdout) as [{ RootFS: { Layers: string[] } }])[0].RootFS.Layers.length;
    assert.equal(await layers('link:1'), (await layers('busybox:1')) + 2, 'one layer for the RUN, one for the linked COPY');
  });

  it('runs the ONBUILD triggers of an image built first, and leaves none in the new image', async () => {
    const base = await context('onbuild-base', {
      Dockerfile: 'FROM busybox:1\nONBUILD ENV TRIGGERED=yes\nONBUILD COPY greeting.txt /from-trigger/\nONBUILD RUN echo "ran $TRIGGERED" > /trigger.txt\n',
    });
    assert.equal((await user.kiln(['build', '-t', 'onbase:1', base])).status, 0);
    const child = await context('onbuild-child', { 'greeting.txt': 'hello from the child context\n', Dockerfile: 'FROM onbase:1\nRUN echo "$TRIGGERED" > /own.txt\n' });
    const built = await user.kiln(['build', '-t', 'onchild:1', child]);
    assert.equal(built.status, 0, built.stderr);
    assert.equal(await run('onchild:1', 'cat /trigger.txt /from-trigger/greeting.txt /own.txt'), 'ran yes\nhello from the child context\nyes\n');
    const config = async (ref: string) => (JSON.parse((await user.kiln(['image', 'inspect', ref])).stdout) as [{ Config: { OnBuild?: string[] | null } }])[0].Config;
    assert.equal((await config('onbase:1')).OnBuild?.length, 3);
    assert.deepEqual((await config('onchild:1')).OnBuild ?? [], []);
  });
});
