// `docker build` with the classic builder (DOCKER_BUILDKIT=0) against kilnd, with the stock
// docker clients: Debian's 20.10 always, a current one where present. The daemon prints
// dockerd's step lines, the image is stored with the Dockerfile's config, a rebuild comes from
// the cache, -q and --iidfile give the image ID, a failing RUN's exit status is the CLI's,
// a Dockerfile error names its line, -f names a Dockerfile elsewhere, and --pull fetches the
// base from its registry. Raw requests send contexts no client would (paths that climb out, a
// link out, a cut tar, garbage) and bad parameters: each is a JSON 400, the daemon serves on,
// and no extracted context is left; a client that goes away cancels its build. The extraction
// itself is checked behind a plain HTTP server: the tree is the tar's, metadata included.
import assert from 'node:assert/strict';
import { Agent, createServer, request } from 'node:http';
import { lstat, mkdir, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';
import { receivedContextsDir, removeInterruptedSteps } from '../../src/daemon/build/index.js';
import { openEngine } from '../../src/daemon/images/engine.js';
import { findImage } from '../../src/daemon/images/local.js';
import { receiveContext } from '../../src/daemon/server/docker-build-context.js';
import { canRunContainers, skopeoPush } from '../helpers/kiln-env.js';
import { buildBusyboxImage } from '../helpers/busybox-image.js';
import { clientSkip, docker, dockerClients, startKilnd, type DockerClient, type Kilnd } from '../helpers/kilnd.js';
import { startRegistry } from '../helpers/registry-server.js';
import { makeTar, type TarFile } from '../helpers/tar-files.js';
import { KilnError } from '../../src/util/errors.js';
import { tempDir } from '../helpers/tmp.js';

// Started at the module's top level: a describe-level before hook ran after the tests here.
const started = canRunContainers ? await startKilnd('docker-build') : undefined;
after(async () => started?.stop());

const dockerfile = [
  'FROM busybox:1',
  'ARG A=unset',
  'ENV GREETING=hello-$A',
  'WORKDIR /app',
  'COPY . ./',
  'RUN echo "$GREETING" > greet.txt && ls && echo to-stderr >&2',
  'CMD ["cat", "/app/greet.txt"]',
  '',
].join('\n');

/** A context directory: the Dockerfile above, files, and a .dockerignore that keeps one out. */
async function makeContext(): Promise<string> {
  const dir = await tempDir('docker-build-ctx');
  await writeFile(join(dir, 'Dockerfile'), dockerfile);
  await writeFile(join(dir, 'app.txt'), 'app\n');
  await writeFile(join(dir, 'secret.txt'), 'not for the image\n');
  await writeFile(join(dir, '.dockerignore'), 'secret.txt\n');
  await mkdir(join(dir, 'sub'));
  await writeFile(join(dir, 'sub', 'Dockerfile.sub'), 'FROM busybox:1\nCOPY app.txt /copied.txt\nRUN cat /copied.txt\n');
  await writeFile(join(dir, 'Dockerfile.fail'), 'FROM busybox:1\nRUN echo about to fail && echo on-stderr >&2 && exit 7\n');
  await writeFile(join(dir, 'Dockerfile.bad'), 'FROM busybox:1\nRUN true\nFROBNICATE now\n');
  return dir;
}

/** The image as the daemon's store holds it, read in-process (opening an engine drops only the ingests of dead processes). */
async function imageOf(kilnd: Kilnd, name: string): Promise<{ id: string; config: { Env?: string[]; Cmd?: string[]; WorkingDir?: string; Labels?: Record<string, string> } } | undefined> {
  const engine = await openEngine({ root: kilnd.root });
  try {
    const { image } = await findImage(engine, name);
    return { id: image.id, config: image.config.config ?? {} };
  } catch (err) {
    // Only "no such image" means none: any other failure to read the store fails the test.
    if (err instanceof KilnError && err.code === 'NOT_FOUND') return undefined;
    throw err;
  } finally {
    await engine.close();
  }
}

async function leftContexts(kilnd: Kilnd): Promise<string[]> {
  return readdir(receivedContextsDir(kilnd.root)).catch(() => []);
}

describe('docker build (classic builder) against kilnd', { skip: started === undefined ? 'needs root for the daemon' : false }, async () => {
  const kilnd = started as Kilnd;
  const context = started === undefined ? '' : await makeContext();

  for (const [at, client] of dockerClients.entries()) {
    const repo = `built${at}`;

    it(`${client.name}: builds and tags the image with the Dockerfile's config, and a rebuild comes from the cache`, clientSkip(client), async () => {
      // A build argument of its own: a client's build is not the other's cached one.
      const built = await docker(kilnd, client, ['build', '-t', `${repo}:1`, '--build-arg', `A=b${at}`, '--label', 'built.by=test', '.'], { cwd: context });
      assert.equal(built.code, 0, built.stderr);
      const out = built.stdout;
      assert.match(out, /Step 1\/8 : FROM busybox:1\n ---> [0-9a-f]{12}\n/);
      assert.match(out, /Step 2\/8 : ARG A=unset\n ---> [0-9a-f]{12}\nStep 3\/8 : ENV GREETING=hello-\$A\n/);
      assert.match(out, /Step 6\/8 : RUN echo "\$GREETING" > greet.txt && ls && echo to-stderr >&2\n ---> Running in [0-9a-f]{12}\n/);
      // The RUN's stderr line may come before its stdout or after it: the two are separate pipes.
      assert.match(out.replace('\u001b[91mto-stderr\n\u001b[0m', ''), /\nDockerfile\nDockerfile\.bad\nDockerfile\.fail\napp\.txt\ngreet\.txt\nsub\n/, 'the RUN lists what .dockerignore let in');
      assert.doesNotMatch(out, /secret\.txt/);
      assert.ok(out.includes('\u001b[91mto-stderr\n\u001b[0m'), 'stderr comes in red');
      assert.match(out, /Removing intermediate container [0-9a-f]{12}\n/);
      assert.match(out, /Step 8\/8 : LABEL "built\.by"="test"\n/);
      const id = /Successfully built ([0-9a-f]{12})\n/.exec(out)?.[1];
      assert.ok(id !== undefined, out);
      assert.ok(out.endsWith(` ---> ${id}\nSuccessfully built ${id}\nSuccessfully tagged ${repo}:1\n`), out);
      const image = await imageOf(kilnd, `${repo}:1`);
      assert.equal(image?.id.slice('sha256:'.length, 'sha256:'.length + 12), id);
      assert.ok(image?.config.Env?.includes(`GREETING=hello-b${at}`), JSON.stringify(image?.config));
      assert.deepEqual([image?.config.WorkingDir, image?.config.Cmd, image?.config.Labels], ['/app', ['cat', '/app/greet.txt'], { 'built.by': 'test' }]);

      const again = await docker(kilnd, client, ['build', '-t', `${repo}:1`, '--build-arg', `A=b${at}`, '--label', 'built.by=test', '.'], { cwd: context });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /Step 5\/8 : COPY \. \.\/\n ---> Using cache\n ---> [0-9a-f]{12}\n/);
      assert.match(again.stdout, /Step 6\/8 : RUN [^\n]*\n ---> Using cache\n ---> [0-9a-f]{12}\n/);
      assert.doesNotMatch(again.stdout, /Running in/);
      assert.match(again.stdout, new RegExp(`Successfully built ${id}\n`), 'the same image');
      assert.deepEqual(await leftContexts(kilnd), []);
    });

    it(`${client.name}: -q and --iidfile give the image ID, with a gzipped context`, clientSkip(client), async () => {
      const iidfile = join(await tempDir('docker-build-iid'), 'iid');
      // --compress: the context goes up gzipped.
      const quiet = await docker(kilnd, client, ['build', '-q', '--compress', '--iidfile', iidfile, '-t', `${repo}:q`, '.'], { cwd: context });
      assert.equal(quiet.code, 0, quiet.stderr);
      assert.match(quiet.stdout, /^sha256:[0-9a-f]{64}\n$/);
      assert.equal((await readFile(iidfile, 'utf8')).trim(), quiet.stdout.trim());
      assert.equal((await imageOf(kilnd, `${repo}:q`))?.id, quiet.stdout.trim());
    });

    it(`${client.name}: a failing RUN ends the build with its exit status and tags nothing`, clientSkip(client), async () => {
      const failed = await docker(kilnd, client, ['build', '-f', 'Dockerfile.fail', '-t', `${repo}:fail`, '.'], { cwd: context });
      assert.equal(failed.code, 7, failed.stderr);
      assert.match(failed.stdout, /Step 2\/2 : RUN echo about to fail[^\n]*\n ---> Running in [0-9a-f]{12}\n/);
      assert.match(failed.stdout, /about to fail\n/);
      assert.ok(failed.stderr.includes("The command '/bin/sh -c echo about to fail && echo on-stderr >&2 && exit 7' returned a non-zero code: 7"), failed.stderr);
      assert.equal(await imageOf(kilnd, `${repo}:fail`), undefined);
      // -q: the CLI shows what the build printed only when it fails.
      const quiet = await docker(kilnd, client, ['build', '-q', '-f', 'Dockerfile.fail', '.'], { cwd: context });
      assert.equal(quiet.code, 7);
      assert.match(quiet.stderr, /Step 2\/2 : RUN echo about to fail[^]*about to fail\n[^]*returned a non-zero code: 7/);
    });

    it(`${client.name}: a Dockerfile error fails the build with its line`, clientSkip(client), async () => {
      const bad = await docker(kilnd, client, ['build', '-f', 'Dockerfile.bad', '-t', `${repo}:bad`, '.'], { cwd: context });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /Error response from daemon: Dockerfile\.bad:3: [^\n]*FROBNICATE/i);
      assert.doesNotMatch(bad.stdout, /Step /);
      assert.deepEqual(await leftContexts(kilnd), []);
    });

    it(`${client.name}: -f names a Dockerfile in a subdirectory or outside the context, --no-cache runs every step`, clientSkip(client), async () => {
      const inside = await docker(kilnd, client, ['build', '--no-cache', '-f', 'sub/Dockerfile.sub', '-t', `${repo}:sub`, '.'], { cwd: context });
      assert.equal(inside.code, 0, inside.stderr);
      assert.match(inside.stdout, /Step 2\/3 : COPY app\.txt \/copied\.txt\n[^]*\napp\n/);
      const elsewhere = join(await tempDir('docker-build-df'), 'Dockerfile.out');
      await writeFile(elsewhere, 'FROM busybox:1\nRUN echo from-outside\n');
      const outside = await docker(kilnd, client, ['build', '--no-cache', '-f', elsewhere, '-t', `${repo}:out`, context]);
      assert.equal(outside.code, 0, outside.stderr);
      assert.match(outside.stdout, /Step 2\/2 : RUN echo from-outside\n ---> Running in [0-9a-f]{12}\nfrom-outside\n/);
      assert.notEqual(await imageOf(kilnd, `${repo}:out`), undefined);
    });
  }

  it('--pull fetches the base image from its registry first, then finds it up to date', async () => {
    const registry = await startRegistry();
    const fixture = await buildBusyboxImage(join(await tempDir('docker-build-layout'), 'layout'), { tag: 'busybox:1' });
    await skopeoPush(fixture.layoutDir, 'busybox:1', `${registry.host}/busybox:1`);
    const dir = await tempDir('docker-build-pull');
    await writeFile(join(dir, 'Dockerfile'), `FROM ${registry.host}/busybox:1\nRUN echo pulled-base\n`);
    const client = dockerClients[0] as DockerClient;
    const first = await docker(kilnd, client, ['build', '--pull', '-t', 'pulled:1', '.'], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    assert.ok(first.stdout.includes(`1: Pulling from busybox\nDigest: ${fixture.manifestDigest}\nStatus: Downloaded newer image for ${registry.host}/busybox:1\n`), first.stdout);
    assert.match(first.stdout, /Step 1\/2 : FROM [^\n]*\n ---> [0-9a-f]{12}\n/);
    const again = await docker(kilnd, client, ['build', '--pull', '-t', 'pulled:1', '.'], { cwd: dir });
    assert.equal(again.code, 0, again.stderr);
    assert.ok(again.stdout.includes(`Status: Image is up to date for ${registry.host}/busybox:1\n`), again.stdout);
  });

  it('pulls a base image from a registry that asks for a login with the client\'s credentials (X-Registry-Config), for that build only', async () => {
    const htpasswd = { username: 'builder', password: 'b-secret' };
    const registry = await startRegistry({ htpasswd });
    const fixture = await buildBusyboxImage(join(await tempDir('docker-build-auth-layout'), 'layout'), { tag: 'busybox:1' });
    await skopeoPush(fixture.layoutDir, 'busybox:1', `${registry.host}/private/busybox:1`, `${htpasswd.username}:${htpasswd.password}`);
    const dir = await tempDir('docker-build-auth');
    await writeFile(join(dir, 'Dockerfile'), `FROM ${registry.host}/private/busybox:1\nRUN echo private-base\n`);
    const client = dockerClients[0] as DockerClient;
    const config = { DOCKER_CONFIG: await tempDir('docker-build-auth-config') };
    const anonymous = await docker(kilnd, client, ['build', '-t', 'private:1', '.'], { cwd: dir, env: config });
    assert.notEqual(anonymous.code, 0, 'no login: the daemon has no credentials of its own for it');
    const login = await docker(kilnd, client, ['login', '-u', htpasswd.username, '-p', htpasswd.password, registry.host], { env: config });
    assert.equal(login.code, 0, login.stderr);
    const built = await docker(kilnd, client, ['build', '-t', 'private:1', '.'], { cwd: dir, env: config });
    assert.equal(built.code, 0, built.stderr);
    assert.match(built.stdout, /private-base/);
    assert.doesNotMatch(kilnd.log(), new RegExp(htpasswd.password));
  });

  interface Answer {
    status: number;
    body: string;
  }

  /** POST /build with `body` sent chunked, as the docker CLI sends it. */
  function postBuild(query: string, body: Buffer, agent?: Agent): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request({
        socketPath: kilnd.socket, method: 'POST', path: `/v1.41/build?${query}`, headers: { 'Content-Type': 'application/x-tar' }, ...(agent === undefined ? {} : { agent }),
      }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      for (let at = 0; at < body.length; at += 64 << 10) req.write(body.subarray(at, at + (64 << 10)));
      req.end();
    });
  }

  const goodFiles: TarFile[] = [{ name: 'Dockerfile', data: 'FROM busybox:1\nCOPY a.txt /\n' }, { name: 'a.txt', data: 'a\n' }];

  async function refused(query: string, body: Buffer, message: RegExp): Promise<void> {
    const answer = await postBuild(query, body);
    assert.equal(answer.status, 400, answer.body);
    assert.match((JSON.parse(answer.body) as { message: string }).message, message);
    assert.deepEqual(await leftContexts(kilnd), [], 'nothing of the context is left');
  }

  it('refuses a tar whose entries climb out of the context, directly or through a symlink', async () => {
    await refused('t=bad:1', await makeTar([...goodFiles, { name: '../escaped.txt', data: 'x' }]), /"\.\.\/escaped\.txt" points outside the context/);
    await refused('t=bad:1', await makeTar([...goodFiles, { name: 'up', type: 'symlink', linkname: '../..' }, { name: 'up/escaped.txt', data: 'x' }]),
      /goes through the symlink "up", which points outside the context/);
    await refused('t=bad:1', await makeTar([...goodFiles, { name: 'etc', type: 'symlink', linkname: '/etc' }, { name: 'etc/kiln-escaped', data: 'x' }]),
      /goes through the symlink "etc"/);
    await refused('t=bad:1', await makeTar([...goodFiles, { name: 'null', type: 'character-device' }]), /"null" is a device node/);
  });

  it('refuses a cut tar, a body that is no tar, and bad parameters, and serves on', async () => {
    const whole = await makeTar([...goodFiles, { name: 'big.bin', data: Buffer.alloc(4096, 1) }]);
    await refused('', whole.subarray(0, 1536), /invalid build context: the tar cannot be read: Unexpected end of data/);
    const gzipped = gzipSync(whole);
    await refused('', gzipped.subarray(0, gzipped.length >> 1), /invalid build context: the tar cannot be read: unexpected end of file/);
    await refused('', Buffer.from('this is not a tar at all, just some words\n'.repeat(40)), /invalid build context: the tar cannot be read/);
    await refused('buildargs=%7Bbad', whole, /invalid buildargs parameter/);
    await refused('labels=%5B1%5D', whole, /invalid labels parameter: not a JSON object/);
    await refused('version=2', whole, /BuildKit\) is not supported/);
    await refused('dockerfile=..%2F..%2Fetc%2Fpasswd', whole, /outside the build context/);
    await refused('dockerfile=Nope', whole, /Cannot locate specified Dockerfile: Nope/);
    // A large body answered before it is read is drained: the connection serves the next request.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const early = await postBuild('buildargs=%7Bbad', Buffer.alloc(8 << 20), agent);
      assert.equal(early.status, 400);
      const next = await postBuild('t=fine:1&q=1', gzipSync(await makeTar(goodFiles)), agent);
      assert.equal(next.status, 200, next.body);
      assert.match(next.body, /^\{"stream":"sha256:[0-9a-f]{64}\\n"\}\r\n$/);
    } finally {
      agent.destroy();
    }
    assert.deepEqual(await leftContexts(kilnd), []);
  });

  it('cancels the build when the client goes away, and removes its context', async () => {
    const tar = await makeTar([{ name: 'Dockerfile', data: 'FROM busybox:1\nRUN echo run-began && sleep 60\n' }]);
    const began = Date.now();
    const logged = kilnd.log().length;
    const since = (): string => kilnd.log().slice(logged);
    await new Promise<void>((resolve, reject) => {
      const req = request({ socketPath: kilnd.socket, method: 'POST', path: '/v1.41/build?t=cancelled:1' }, (res) => {
        res.on('data', (chunk: Buffer) => {
          // The RUN's own output (`{"stream":"run-began\n"}`), not its step line: the step runs.
          if (chunk.toString().includes('"stream":"run-began\\n"')) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', () => undefined);
      req.end(tar);
      setTimeout(() => reject(new Error('the RUN never started')), 20_000).unref();
    });
    while (!since().includes('"msg":"build failed"') || (await leftContexts(kilnd)).length > 0) {
      assert.ok(Date.now() - began < 20_000, 'the build was not cancelled');
      await delay(50);
    }
    assert.match(since(), /"msg":"build failed"[^\n]*the client went away/);
    assert.ok(Date.now() - began < 20_000, 'the RUN did not sleep on');
    assert.equal(await imageOf(kilnd, 'cancelled:1'), undefined);
    assert.equal((await postBuild('q=1', await makeTar(goodFiles))).status, 200, 'the daemon serves on');
  });

  it('removes the contexts a killed daemon left when it recovers', async () => {
    const root = await tempDir('docker-build-recover');
    const leftover = join(receivedContextsDir(root), 'ctx-killed', 'context');
    await mkdir(leftover, { recursive: true });
    await writeFile(join(leftover, 'Dockerfile'), 'FROM busybox:1\n');
    const engine = await openEngine({ root });
    try {
      await removeInterruptedSteps(engine);
    } finally {
      await engine.close();
    }
    await assert.rejects(readdir(receivedContextsDir(root)), { code: 'ENOENT' });
  });

  it('extracts the tar as it is: modes, owners, mtimes, symlinks, hard links, a directory\'s time set after its files', async () => {
    const root = await tempDir('docker-build-extract');
    const mtime = new Date(1_000_000_000_000);
    const tar = await packTar([
      { name: 'tree/', type: 'directory', mode: 0o750, uid: 7, gid: 8, mtime },
      { name: 'tree/run.sh', mode: 0o4755, uid: 1000, gid: 1001, mtime, data: '#!/bin/sh\n' },
      { name: 'tree/link', type: 'symlink', linkname: 'run.sh', uid: 1000, gid: 1001, mtime },
      { name: 'tree/data', type: 'link', linkname: 'tree/run.sh' },
      { name: 'tree/deep/file', mtime, data: 'x' },
    ]);
    const seen = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const server = createServer((req, res) => void (async () => {
        const received = await receiveContext(req, root);
        let found: Record<string, unknown>;
        try {
          const at = (name: string) => lstat(join(received.dir, name));
          const [dir, file, link, data] = await Promise.all([at('tree'), at('tree/run.sh'), at('tree/link'), at('tree/data')]);
          found = {
            dir: [dir.mode & 0o7777, dir.uid, dir.gid, dir.mtimeMs],
            file: [file.mode & 0o7777, file.uid, file.gid, file.mtimeMs, file.nlink, await readFile(join(received.dir, 'tree/run.sh'), 'utf8')],
            link: [link.isSymbolicLink(), await readlink(join(received.dir, 'tree/link')), link.uid, link.mtimeMs],
            sameInode: data.ino === file.ino,
          };
        } finally {
          await received.remove();
          res.end();
          server.close();
        }
        resolve(found);
      })().catch(reject));
      server.listen(join(root, 'extract.sock'), () => {
        request({ socketPath: join(root, 'extract.sock'), method: 'POST', path: '/build' }, (res) => res.resume()).on('error', reject).end(gzipSync(tar));
      });
    });
    assert.deepEqual(seen, {
      dir: [0o750, 7, 8, mtime.getTime()],
      file: [0o4755, 1000, 1001, mtime.getTime(), 2, '#!/bin/sh\n'],
      link: [true, 'run.sh', 1000, mtime.getTime()],
      sameInode: true,
    });
    assert.deepEqual(await readdir(receivedContextsDir(root)), []);
  });
});

/** A tar of entries with full headers (tar-files.ts's makeTar pins modes and owners). */
async function packTar(entries: Array<Partial<Header> & { name: string; data?: string }>): Promise<Buffer> {
  const packer = pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of packer) chunks.push(chunk as Buffer);
  })();
  for (const { data, ...header } of entries) {
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (data === undefined) packer.entry({ type: 'file', ...header }, done);
      else packer.entry({ type: 'file', ...header }, data, done);
    });
  }
  packer.finalize();
  await collected;
  return Buffer.concat(chunks);
}
