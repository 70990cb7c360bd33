// RUN --mount of secrets, ssh agents, binds of other stages (read-only and writable) and caches
// seeded from a stage or owned as asked, built on the busybox fixture and checked by running the
// result: secrets are readable in the step, absent from the image, the disk, the cache key and
// kilnd.log; writes to a writable bind are thrown away.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { canRunContainers, containerUser, tool } from '../helpers/kiln-env.js';
import { stepsMarked } from '../helpers/build-steps.js';
import { tempDir } from '../helpers/tmp.js';

const sum = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

describe('kiln build with RUN --mount secrets, ssh, binds and caches', { skip: canRunContainers ? false : 'needs root for mounts and runc' }, async () => {
  const user = await containerUser('build-mounts');
  const work = await tempDir('build-mounts-work');

  it('gives secrets from a file and from env to RUN, and keeps them out of the image, the disk, the cache key and the log', async () => {
    const dir = await tempDir('secrets-context');
    await writeFile(join(dir, 'Dockerfile'), [
      'FROM busybox:1',
      'RUN --mount=type=secret,id=filesecret,mode=0440,uid=65534,gid=100 --mount=type=secret,id=envsecret,env=ENV_SECRET,required \\',
      '    sha256sum < /run/secrets/filesecret | cut -c1-16 > /file-sum && printf %s "$ENV_SECRET" | sha256sum | cut -c1-16 > /env-sum && \\',
      '    stat -c "%a %u %g" /run/secrets/filesecret > /perm',
      'RUN ls -a /run 2>&1 > /run-listing; echo "$ENV_SECRET" > /later-env',
      '',
    ].join('\n'));
    const build = async (round: string) => {
      await writeFile(join(work, 'secret.txt'), `file-s3cret-${round}\n`);
      return user.kiln(['build', '--progress=plain', '-t', 'secrets:1', '--secret', `id=filesecret,src=${join(work, 'secret.txt')}`, '--secret', 'id=envsecret,env=KILN_TEST_SECRET', dir], { env: { KILN_TEST_SECRET: `env-s3cret-${round}` } });
    };
    const first = await build('one');
    assert.equal(first.status, 0, first.stderr);
    const shown = await user.kiln(['run', '--rm', 'secrets:1', 'sh', '-c', 'cat /file-sum /env-sum /perm /later-env; test -e /run/secrets && echo LEFT || echo absent']);
    assert.equal(shown.stdout, `${sum('file-s3cret-one\n')}\n${sum('env-s3cret-one')}\n440 65534 100\n\nabsent\n`, shown.stderr);

    // A changed secret is not a changed step (BuildKit: secrets are not in the cache key).
    const second = await build('two');
    assert.equal(second.status, 0, second.stderr);
    assert.deepEqual(stepsMarked(second.stderr, 'DONE'), [], second.stderr);
    assert.equal(stepsMarked(second.stderr, 'CACHED').filter((name) => name.includes(' RUN ')).length, 2, second.stderr);

    const log = await readFile(join(user.root, 'kilnd.log'), 'utf8');
    for (const value of ['file-s3cret-', 'env-s3cret-', Buffer.from('file-s3cret-one\n').toString('base64')]) {
      assert.equal(log.includes(value), false, `kilnd.log holds ${value}`);
    }
    // Nothing kiln keeps (snapshots, layers, records, the build dir) holds the values.
    const grep = await tool('grep', ['-rlaF', '-e', 'file-s3cret-', '-e', 'env-s3cret-', user.root]);
    assert.equal(grep.status, 1, `found in ${grep.stdout}`);
  });

  it('fails a step whose required secret was not given, naming it; an optional one is just absent', async () => {
    const dir = await tempDir('secrets-missing');
    await writeFile(join(dir, 'Dockerfile'), 'FROM busybox:1\nRUN --mount=type=secret,id=maybe test ! -e /run/secrets/maybe\nRUN --mount=type=secret,id=absent_token,required true\n');
    const failed = await user.kiln(['build', dir]);
    assert.equal(failed.status, 1);
    assert.match(failed.stderr, /secret absent_token not found/);
  });

  it('forwards an ssh agent socket into the step, with SSH_AUTH_SOCK on the default target', async () => {
    // An agent of our own records what the step sends: busybox has no ssh client, but its
    // logger writes to a stream socket at /dev/log.
    const received: Buffer[] = [];
    const socket = join(work, 'agent.sock');
    const server: Server = createServer((conn) => conn.on('data', (chunk: Buffer) => received.push(chunk)));
    await new Promise<void>((done) => server.listen(socket, done));
    after(() => new Promise<void>((done) => server.close(() => done())));
    let agent: ChildProcess | undefined;
    const agentSocket = join(work, 'real-agent.sock');
    if ((await tool('which', ['ssh-agent'])).status === 0) {
      agent = spawn('ssh-agent', ['-D', '-a', agentSocket], { stdio: 'ignore' });
      after(() => void agent?.kill());
      for (let waited = 0; !(await readdir(work)).includes('real-agent.sock'); waited += 50) {
        assert.ok(waited < 10_000, 'ssh-agent did not start');
        await delay(50);
      }
    }
    const dir = await tempDir('ssh-context');
    await writeFile(join(dir, 'Dockerfile'), [
      'FROM busybox:1',
      'RUN --mount=type=ssh,id=recorder,target=/dev/log,required logger -t kiln forwarded-through-agent',
      ...(agent === undefined ? [] : ['RUN --mount=type=ssh,required test -S "$SSH_AUTH_SOCK" && stat -c "%a %u" "$SSH_AUTH_SOCK" > /agent-perm && echo "$SSH_AUTH_SOCK" >> /agent-perm']),
      '',
    ].join('\n'));
    const built = await user.kiln(['build', '-t', 'ssh:1', '--ssh', `recorder=${socket}`, ...(agent === undefined ? [] : ['--ssh', 'default']), dir], { env: { SSH_AUTH_SOCK: agentSocket } });
    assert.equal(built.status, 0, built.stderr);
    assert.match(Buffer.concat(received).toString('utf8'), /forwarded-through-agent/);
    if (agent !== undefined) {
      const perm = await user.kiln(['run', '--rm', 'ssh:1', 'sh', '-c', 'cat /agent-perm; test -e /run/buildkit && echo LEFT || echo absent']);
      assert.equal(perm.stdout, '600 0\n/run/buildkit/ssh_agent.0\nabsent\n', perm.stderr);
    }
    // Without --no-cache the steps are cached and no agent is asked for, as in BuildKit.
    const missing = await user.kiln(['build', '--no-cache', dir]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /ssh agent recorder not found/);
  });

  it('binds a stage read-only or writable (writes thrown away), and seeds and owns caches', async () => {
    const dir = await tempDir('binds-context');
    await writeFile(join(dir, 'input.txt'), 'from the context\n');
    await writeFile(join(dir, 'Dockerfile'), [
      'FROM busybox:1 AS tools',
      'RUN mkdir /out && echo tool-data > /out/data',
      'FROM busybox:1',
      'RUN --mount=type=bind,from=tools,source=/out,target=/t cp /t/data /copied',
      'RUN --mount=type=bind,from=tools,source=/out,target=/t,rw --mount=type=bind,target=/ctx,rw \\',
      '    echo changed > /t/data && cat /t/data > /seen && echo new > /ctx/new && cat /ctx/input.txt >> /seen',
      'RUN --mount=type=bind,from=tools,source=/out,target=/t cat /t/data > /after',
      'RUN --mount=type=cache,target=/c,id=owned,uid=1000,gid=1001,mode=0750 stat -c "%u %g %a" /c > /cache-perm',
      'RUN --mount=type=cache,target=/c2,from=tools,source=/out cat /c2/data > /seeded && echo more > /c2/more',
      'RUN --mount=type=cache,target=/c2,from=tools,source=/out ls /c2 > /seeded-again',
      '',
    ].join('\n'));
    const built = await user.kiln(['build', '-t', 'binds:1', dir]);
    assert.equal(built.status, 0, built.stderr);
    const shown = await user.kiln(['run', '--rm', 'binds:1', 'sh', '-c', 'cat /copied /seen /after /cache-perm /seeded /seeded-again; ls -d /t /ctx /c /c2 2>&1 | wc -l; ls / | grep -c -e "^t$" -e "^ctx$" -e "^c$" -e "^c2$"']);
    assert.equal(shown.stdout, 'tool-data\nchanged\nfrom the context\ntool-data\n1000 1001 750\ntool-data\ndata\nmore\n4\n0\n', shown.stderr);
    assert.deepEqual((await readdir(dir)).sort(), ['Dockerfile', 'input.txt'], 'a writable bind of the context wrote into it');
    await rm(join(work, 'secret.txt'), { force: true });
  });
});
