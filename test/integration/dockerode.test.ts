// dockerode, the Engine API client node programs use, driving kilnd through the whole flow a
// CI script or a tool runs: ping and version, a build from a tar context with its JSON stream,
// list, inspect and tag, a container created, attached, started and waited for (its output
// demultiplexed and its exit code), logs, removal, and a push to a registry and a pull back.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import Docker from 'dockerode';
import { canRunContainers } from '../helpers/kiln-env.js';
import { startKilnd } from '../helpers/kilnd.js';
import { startRegistry } from '../helpers/registry-server.js';
import { tempDir } from '../helpers/tmp.js';

const kilnd = canRunContainers ? await startKilnd('dockerode') : undefined;
const registry = canRunContainers ? await startRegistry() : undefined;
after(async () => {
  await kilnd?.stop();
  await registry?.stop();
});

/** Resolves with every message of a JSON stream, rejecting on the first with an error. */
function followProgress(docker: Docker, stream: NodeJS.ReadableStream): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, output: Array<Record<string, unknown>>) => (err === null ? resolve(output) : reject(err)));
  });
}

/** Runs `cmd` in a container of `image` attached; its output and exit code. */
async function runAttached(docker: Docker, image: string, cmd: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const container = await docker.createContainer({ Image: image, Cmd: cmd, Tty: false, AttachStdout: true, AttachStderr: true });
  const stream = await container.attach({ stream: true, stdout: true, stderr: true });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  container.modem.demuxStream(stream, stdout, stderr);
  const ended = new Promise((resolve) => stream.once('end', resolve));
  await container.start();
  // After the start, as dockerode's own run() does: `not-running` (the default condition) is
  // met at once by a container that has not started yet.
  const { StatusCode } = await container.wait() as { StatusCode: number };
  await ended;
  await container.remove();
  return { stdout: out, stderr: err, code: StatusCode };
}

describe('dockerode against kilnd', { skip: canRunContainers ? false : 'needs root for the daemon' }, () => {
  const docker = new Docker({ socketPath: kilnd?.socket ?? '' });
  let imageId = '';

  it('pings and reads the version', async () => {
    assert.equal(String(await docker.ping()), 'OK');
    assert.equal((await docker.version()).ApiVersion, '1.41');
  });

  it('builds from a tar context, with the ID in the stream', async () => {
    const context = await tempDir('dockerode-context');
    await mkdir(join(context, 'app'));
    await writeFile(join(context, 'app', 'greeting'), 'hello from dockerode\n');
    await writeFile(join(context, 'Dockerfile'), 'FROM busybox:1\nCOPY app /app\nRUN echo built > /app/built\nCMD ["cat", "/app/greeting"]\n');
    const stream = await docker.buildImage({ context, src: ['Dockerfile', 'app'] }, { t: 'dockerode/app:1' });
    const output = await followProgress(docker, stream);
    const aux = output.find((message) => message['aux'] !== undefined)?.['aux'] as { ID: string } | undefined;
    assert.match(aux?.ID ?? '', /^sha256:[0-9a-f]{64}$/);
    imageId = aux!.ID;
    assert.ok(output.some((message) => /Successfully tagged dockerode\/app:1/.test(String(message['stream'] ?? ''))));
  });

  it('lists, inspects and tags the image', async () => {
    const listed = await docker.listImages({ filters: { reference: ['dockerode/app'] } });
    assert.deepEqual(listed.map((image) => image.Id), [imageId]);
    const image = docker.getImage('dockerode/app:1');
    assert.deepEqual((await image.inspect()).Config.Cmd, ['cat', '/app/greeting']);
    await image.tag({ repo: 'dockerode/app', tag: '2' });
    assert.equal((await docker.getImage('dockerode/app:2').inspect()).Id, imageId);
  });

  it('runs containers attached: output by stream, exit codes', async () => {
    assert.deepEqual(await runAttached(docker, 'dockerode/app:1', ['sh', '-c', 'cat /app/greeting /app/built; echo oops >&2']),
      { stdout: 'hello from dockerode\nbuilt\n', stderr: 'oops\n', code: 0 });
    assert.equal((await runAttached(docker, 'dockerode/app:1', ['sh', '-c', 'exit 3'])).code, 3);
  });

  it('reads a finished container\'s logs and inspects its state before removing it', async () => {
    const container = await docker.createContainer({ Image: 'dockerode/app:1' });
    await container.start();
    assert.equal((await container.wait() as { StatusCode: number }).StatusCode, 0);
    const logs = await container.logs({ stdout: true, stderr: true });
    assert.match(logs.toString('latin1'), /hello from dockerode/);
    const state = (await container.inspect()).State;
    assert.deepEqual([state.Status, state.ExitCode], ['exited', 0]);
    await container.remove();
    await assert.rejects(container.inspect(), (err: { statusCode?: number }) => err.statusCode === 404);
  });

  it('pushes to a registry and pulls the image back', async () => {
    const name = `${registry!.host}/dockerode/app`;
    await docker.getImage('dockerode/app:1').tag({ repo: name, tag: '1' });
    const pushed = await followProgress(docker, await docker.getImage(`${name}:1`).push({ authconfig: {} }));
    assert.ok(pushed.some((message) => /digest: sha256:[0-9a-f]{64}/.test(String(message['status'] ?? ''))));
    await docker.getImage(`${name}:1`).remove();
    await followProgress(docker, await docker.pull(`${name}:1`));
    assert.equal((await docker.getImage(`${name}:1`).inspect()).Id, imageId);
  });
});
