// `kiln build` outputs on the busybox fixture: OCI and docker archives that load back and run,
// the result's filesystem as a directory and as a tar (owners and modes kept), a push to the
// real registry pulled back into a fresh store and run, --iidfile / --metadata-file, images
// reproducible under SOURCE_DATE_EPOCH, and outputs that fail or are cancelled leaving nothing.
import assert from 'node:assert/strict';
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { canRunContainers, containerUser, kilnUser, tool } from '../helpers/kiln-env.js';
import { startRegistry } from '../helpers/registry-server.js';
import { tempDir } from '../helpers/tmp.js';

describe('kiln build outputs', { skip: canRunContainers ? false : 'needs root for mounts and runc' }, async () => {
  const user = await containerUser('build-outputs');
  const context = await tempDir('build-outputs-context');
  await writeFile(join(context, 'hello.txt'), 'hello\n');
  await writeFile(join(context, 'Dockerfile'), [
    'FROM busybox:1',
    'COPY --chmod=0640 hello.txt /app/hello.txt',
    'RUN echo built > /app/built.txt && chmod 0751 /app/built.txt && chown 1000:1001 /app/built.txt',
    'CMD ["cat", "/app/hello.txt", "/app/built.txt"]',
    '',
  ].join('\n'));
  await delay(150);
  const out = await tempDir('build-outputs-dest');

  const build = async (...args: string[]): Promise<string> => {
    const built = await user.kiln(['build', ...args, context]);
    assert.equal(built.status, 0, built.stderr);
    return built.stderr;
  };
  const runs = async (image: string): Promise<void> => {
    const ran = await user.kiln(['run', '--rm', image]);
    assert.deepEqual([ran.status, ran.stdout], [0, 'hello\nbuilt\n'], ran.stderr);
  };
  const absent = async (image: string): Promise<void> => {
    assert.equal((await user.kiln(['image', 'inspect', image])).status, 1, `${image} is not in the store`);
  };

  it('writes an OCI archive that loads back and runs, tagging nothing in the store', async () => {
    const dest = join(out, 'oci', 'image.tar');
    await build('-o', `type=oci,dest=${dest},name=oci-app:1`);
    await absent('oci-app:1');
    const index = await tool('tar', ['-xOf', dest, 'index.json']);
    assert.equal((JSON.parse(index.stdout) as { manifests: Array<{ annotations: Record<string, string> }> }).manifests[0]?.annotations['io.containerd.image.name'], 'docker.io/library/oci-app:1');
    const loaded = await user.kiln(['load', '-i', dest]);
    assert.equal(loaded.status, 0, loaded.stderr);
    await runs('oci-app:1');
  });

  it('writes an OCI layout directory with tar=false', async () => {
    const dest = join(out, 'layout');
    await build('-o', `type=oci,dest=${dest},tar=false,name=layout-app:1`);
    assert.deepEqual((await readdir(dest)).sort(), ['blobs', 'index.json', 'oci-layout']);
    assert.equal((await user.kiln(['load', '-i', dest])).status, 0);
    await runs('layout-app:1');
  });

  it('writes a docker archive, named by -t, that loads back and runs', async () => {
    const dest = join(out, 'docker.tar');
    await build('-t', 'docker-app:1', '-o', `type=docker,dest=${dest}`);
    const manifest = await tool('tar', ['-xOf', dest, 'manifest.json']);
    assert.deepEqual((JSON.parse(manifest.stdout) as Array<{ RepoTags: string[] }>)[0]?.RepoTags, ['docker-app:1']);
    assert.equal((await user.kiln(['rmi', 'docker-app:1'])).status, 0);
    assert.equal((await user.kiln(['load', '-i', dest])).status, 0);
    await runs('docker-app:1');
  });

  it('writes the merged filesystem to a directory, owners and modes kept', async () => {
    const dest = join(out, 'rootfs');
    await build('-o', dest);
    assert.equal(await readFile(join(dest, 'app', 'built.txt'), 'utf8'), 'built\n');
    const built = await lstat(join(dest, 'app', 'built.txt'));
    assert.deepEqual([built.mode & 0o7777, built.uid, built.gid], [0o751, 1000, 1001]);
    assert.equal((await lstat(join(dest, 'app', 'hello.txt'))).mode & 0o7777, 0o640);
    assert.ok((await lstat(join(dest, 'bin', 'busybox'))).isFile(), 'the base image\'s layers are in it too');
  });

  it('writes the merged filesystem as a tar', async () => {
    const dest = join(out, 'rootfs.tar');
    await build('-o', `type=tar,dest=${dest}`);
    const listing = await tool('tar', ['-tvf', dest, '--numeric-owner']);
    assert.equal(listing.status, 0, listing.stderr);
    assert.match(listing.stdout, /^-rwxr-x--x 1000\/1001 +6 .* app\/built\.txt$/m);
    assert.match(listing.stdout, /^-rw-r----- 0\/0 +6 .* app\/hello\.txt$/m);
    assert.match(listing.stdout, / bin\/busybox$/m);
  });

  it('writes --iidfile and --metadata-file as buildx does', async () => {
    const iidfile = join(out, 'iid');
    const metadataFile = join(out, 'metadata.json');
    await build('-t', 'meta-app:1', '--iidfile', iidfile, '--metadata-file', metadataFile);
    const inspect = JSON.parse((await user.kiln(['image', 'inspect', 'meta-app:1'])).stdout) as [{ Id: string }];
    const id = await readFile(iidfile, 'utf8');
    assert.equal(id, inspect[0].Id);
    const metadata = JSON.parse(await readFile(metadataFile, 'utf8')) as Record<string, unknown>;
    const descriptor = metadata['containerimage.descriptor'] as { mediaType: string; digest: string; size: number };
    assert.equal(metadata['containerimage.config.digest'], id);
    assert.equal(metadata['image.name'], 'docker.io/library/meta-app:1');
    assert.equal(descriptor.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(descriptor.digest, metadata['containerimage.digest']);
  });

  it('gives the same image digest for two uncached builds under one SOURCE_DATE_EPOCH', async () => {
    const digests: unknown[] = [];
    for (const n of [1, 2]) {
      const metadataFile = join(out, `epoch-${n}.json`);
      const built = await user.kiln(['build', '--no-cache', '-q', '-t', `epoch-app:${n}`, '--metadata-file', metadataFile, context], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
      assert.equal(built.status, 0, built.stderr);
      digests.push((JSON.parse(await readFile(metadataFile, 'utf8')) as Record<string, unknown>)['containerimage.digest']);
      // Made at different seconds, so only the epoch can make them equal.
      await delay(1100);
    }
    assert.equal(digests[0], digests[1]);
    const inspect = JSON.parse((await user.kiln(['image', 'inspect', 'epoch-app:1'])).stdout) as [{ Created: string }];
    assert.match(inspect[0].Created, /^2023-11-14T22:13:20/);
    const unset = await user.kiln(['build', '--no-cache', '-q', context]);
    assert.notEqual(unset.stdout.trim(), (await readFile(join(out, 'epoch-1.json'), 'utf8')).match(/"containerimage.config.digest": "([^"]+)"/)?.[1]);
  });

  it('refuses a dest with files, leaving it as it was', async () => {
    const dest = join(out, 'full');
    await mkdir(dest);
    await writeFile(join(dest, 'keep.txt'), 'mine\n');
    const built = await user.kiln(['build', '-o', `type=local,dest=${dest}`, context]);
    assert.equal(built.status, 1);
    assert.match(built.stderr, /--output: dest .*full exists and is not an empty directory/);
    assert.deepEqual(await readdir(dest), ['keep.txt']);
  });

  it('leaves no file at dest when writing the output fails', async () => {
    const dir = join(out, 'small');
    await mkdir(dir);
    // A file system too small for the busybox binary alone: the write fails half way.
    const mounted = await tool('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', dir]);
    assert.equal(mounted.status, 0, mounted.stderr);
    after(() => tool('umount', [dir]));
    const built = await user.kiln(['build', '-o', `type=tar,dest=${join(dir, 'fs.tar')}`, context]);
    assert.equal(built.status, 1);
    assert.match(built.stderr, /--output: writing .*fs\.tar: ENOSPC/);
    assert.deepEqual(await readdir(dir), []);
  });

  it('leaves no half-written file at dest when the build is cancelled while writing it', async () => {
    const big = await tempDir('build-outputs-big');
    await writeFile(join(big, 'Dockerfile'), 'FROM busybox:1\nRUN dd if=/dev/urandom of=/big bs=1M count=96 2>/dev/null\n');
    const dir = join(out, 'cancel');
    await mkdir(dir);
    const dest = join(dir, 'fs.tar');
    let seen = false;
    const built = await user.kiln(['build', '-o', `type=tar,dest=${dest}`, big], {
      onSpawn: (child) => {
        const poll = setInterval(() => {
          void readdir(dir).then((names) => {
            if (names.length === 0 || seen) return;
            seen = true;
            clearInterval(poll);
            child.kill('SIGINT');
          });
        }, 5);
        child.once('exit', () => clearInterval(poll));
      },
      timeoutMs: 120_000,
    });
    assert.ok(seen, `the output was never started: ${built.stderr}`);
    assert.notEqual(built.status, 0);
    // The daemon learns of the cancel when the connection closes; its cleanup follows.
    for (let i = 0; i < 200 && (await readdir(dir)).some((name) => name !== 'fs.tar'); i += 1) await delay(25);
    const left = await readdir(dir);
    // Cancelled in time, nothing is there; cancelled after the rename, the whole tar is.
    if (left.length > 0) {
      assert.deepEqual(left, ['fs.tar']);
      assert.equal((await tool('tar', ['-tf', dest])).status, 0);
    }
  });
});

describe('kiln build --push', { skip: canRunContainers ? false : 'needs root for mounts and runc' }, async () => {
  const registry = await startRegistry();
  const user = await containerUser('build-push');
  const context = await tempDir('build-push-context');
  await writeFile(join(context, 'Dockerfile'), 'FROM busybox:1\nRUN echo pushed > /pushed.txt\nCMD ["cat", "/pushed.txt"]\n');

  it('pushes each name, shows it, and the image pulls into a fresh store and runs', async () => {
    const name = `${registry.host}/outputs/app:1`;
    const built = await user.kiln(['build', '--progress', 'plain', '-t', name, '--push', context]);
    assert.equal(built.status, 0, built.stderr);
    assert.match(built.stderr, /^#\d+ pushing layers$/m);
    assert.match(built.stderr, new RegExp(`^#\\d+ pushing manifest for ${name.replaceAll('.', '\\.')}@sha256:[a-f0-9]{64}$`, 'm'));
    const fresh = await kilnUser('build-push-fresh');
    const pulled = await fresh.kiln(['pull', name]);
    assert.equal(pulled.status, 0, pulled.stderr);
    const ran = await fresh.kiln(['run', '--rm', name]);
    assert.deepEqual([ran.status, ran.stdout], [0, 'pushed\n'], ran.stderr);
  });

  it('pushes with --output type=registry,name=..', async () => {
    const name = `${registry.host}/outputs/registry:2`;
    const built = await user.kiln(['build', '-o', `type=registry,name=${name}`, context]);
    assert.equal(built.status, 0, built.stderr);
    assert.equal((await kilnUser('build-push-fresh2').then((fresh) => fresh.kiln(['pull', name]))).status, 0);
  });

  it('needs a tag to push, and fails naming the reference when the push fails', async () => {
    const untagged = await user.kiln(['build', '--push', context]);
    assert.equal(untagged.status, 1);
    assert.match(untagged.stderr, /tag is needed when pushing to registry/);
    const unreachable = '127.0.0.1:9/outputs/app:1';
    const failed = await user.kiln(['build', '-t', unreachable, '--push', context], { env: { KILN_INSECURE_REGISTRIES: '127.0.0.1:9' } });
    assert.equal(failed.status, 1, failed.stderr);
    assert.match(failed.stderr, /failed to push 127\.0\.0\.1:9\/outputs\/app:1/);
  });
});
