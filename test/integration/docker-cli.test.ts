// The stock docker CLI driving kilnd over its socket (DOCKER_HOST): Debian's docker.io client
// (20.10) always, which CI installs, and a current one (28.x) where the machine has it. The ping
// negotiates API 1.41, and `docker version` and `docker info` print kiln's answers and exit 0,
// with no warning on stderr. Raw requests check the ping's headers and the version prefix.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, describe, it } from 'node:test';
import { canRunContainers } from '../helpers/kiln-env.js';
import { clientSkip, docker, dockerClients, startKilnd } from '../helpers/kilnd.js';

// Started at the module's top level: a describe-level before hook ran after the tests here.
const started = canRunContainers ? await startKilnd('docker-cli') : undefined;
after(async () => started?.stop());

describe('the docker CLI against kilnd', { skip: started === undefined ? 'needs root for the daemon' : false }, () => {
  const socket = started?.socket ?? '';

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

  it('answers a request head over the limit with a JSON 431 and goes on serving', async () => {
    const refused = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ socketPath: socket, method: 'GET', path: '/_ping', headers: { 'X-Padding': 'x'.repeat(20_000) } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject).end();
    });
    assert.equal(refused.status, 431);
    assert.match((JSON.parse(refused.body) as { message: string }).message, /headers larger/);
    assert.equal((await raw('GET', '/_ping')).status, 200);
  });

  for (const client of dockerClients) {
    it(`${client.name}: docker version and docker info print kiln's answers`, clientSkip(client), async () => {
      const kilnd = started!;
      const version = await docker(kilnd, client, ['version', '--format', '{{.Server.Version}} {{.Server.APIVersion}} {{.Server.Os}}/{{.Server.Arch}}']);
      assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+\S* 1\.41 linux\/\S+$/);
      const info = await docker(kilnd, client, ['info', '--format', '{{.OSType}} {{.NCPU}} {{.Containers}} {{.IndexServerAddress}}']);
      assert.match(info.stdout.trim(), /^linux [1-9]\d* \d+ https:\/\/index\.docker\.io\/v1\/$/);
      const plain = await docker(kilnd, client, ['info']);
      assert.match(plain.stdout, /Server Version: /);
      assert.equal(plain.stderr.trim(), '', 'no warnings about missing capabilities');
    });
  }
});
