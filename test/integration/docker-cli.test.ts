// The stock docker CLI driving kilnd over its socket (DOCKER_HOST): Debian's docker.io client
// (20.10) always, which CI installs, and a current one (28.x) where the machine has it. The ping
// negotiates API 1.41, and `docker version` and `docker info` print kiln's answers and exit 0,
// with no warning on stderr. Raw requests check the ping's headers and the version prefix.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { canRunContainers, containerUser } from '../helpers/kiln-env.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const daemonMain = fileURLToPath(new URL('../../src/daemon/main.ts', import.meta.url));

/** Debian's client is required; the current one is tried where it is installed. */
const clients = [
  { name: 'docker.io 20.10', path: '/usr/bin/docker', required: true },
  { name: 'docker 28', path: '/usr/local/bin/docker', required: false },
];

/** kilnd on a fresh root and socket; resolves once it listens. */
async function startDaemon(): Promise<{ daemon: ChildProcess; socket: string; root: string }> {
  const { root } = await containerUser('docker-cli');
  const socket = join(await tempDir('docker-cli-sock'), 'kiln.sock');
  const daemon = spawn(process.execPath, ['--import', 'tsx', daemonMain, '--root', root, '--host', `unix://${socket}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  await new Promise<void>((resolve, reject) => {
    daemon.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('"msg":"listening"')) resolve();
    });
    daemon.once('exit', () => reject(new Error(`kilnd exited: ${text}`)));
  });
  return { daemon, socket, root };
}

const started = canRunContainers ? await startDaemon() : undefined;
after(async () => {
  if (started === undefined || started.daemon.exitCode !== null) return;
  started.daemon.kill('SIGTERM');
  await once(started.daemon, 'exit');
});

describe('the docker CLI against kilnd', { skip: started === undefined ? 'needs root for the daemon' : false }, () => {
  const { socket, root } = started ?? { socket: '', root: '' };

  function docker(path: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
    return run(path, args, { env: { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: root } });
  }

  function raw(method: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: socket, method, path }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject).end();
    });
  }

  it('answers the ping as dockerd does: API 1.41, linux, no BuildKit builder, HEAD and GET', async () => {
    const head = await raw('HEAD', '/_ping');
    assert.equal(head.status, 200);
    assert.equal(head.headers['api-version'], '1.41');
    assert.equal(head.headers['ostype'], 'linux');
    assert.equal(head.headers['builder-version'], undefined);
    const got = await raw('GET', '/_ping');
    assert.deepEqual([got.status, got.body], [200, 'OK']);
  });

  it('serves paths under any API version prefix, and answers an unknown one with a JSON 404', async () => {
    const versioned = await raw('GET', '/v1.24/version');
    assert.equal(versioned.status, 200);
    assert.equal((JSON.parse(versioned.body) as { ApiVersion: string }).ApiVersion, '1.41');
    const unknown = await raw('GET', '/v1.41/no/such/endpoint');
    assert.equal(unknown.status, 404);
    assert.match((JSON.parse(unknown.body) as { message: string }).message, /page not found/);
  });

  for (const client of clients) {
    const present = existsSync(client.path);
    it(`${client.name}: docker version and docker info print kiln's answers`, { skip: present || client.required ? false : `${client.path} is not installed` }, async () => {
      const version = await docker(client.path, ['version', '--format', '{{.Server.Version}} {{.Server.APIVersion}} {{.Server.Os}}/{{.Server.Arch}}']);
      assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+\S* 1\.41 linux\/\S+$/);
      const info = await docker(client.path, ['info', '--format', '{{.OSType}} {{.NCPU}} {{.Containers}} {{.IndexServerAddress}}']);
      assert.match(info.stdout.trim(), /^linux [1-9]\d* \d+ https:\/\/index\.docker\.io\/v1\/$/);
      const plain = await docker(client.path, ['info']);
      assert.match(plain.stdout, /Server Version: /);
      assert.equal(plain.stderr.trim(), '', 'no warnings about missing capabilities');
    });
  }
});
