// kilnd on TCP: only with mutual TLS. The docker CLI with DOCKER_TLS_VERIFY and a client
// certificate from the daemon's CA reaches it; a TLS client without a certificate, or with one
// from another CA, never completes the handshake; plain HTTP gets nothing; and a tcp host
// without --tlsverify stops the daemon at start-up with the flag named.
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { kilnCommand, runKilnAsync } from '../helpers/cli.js';
import { canRunContainers } from '../helpers/kiln-env.js';
import { dockerClients, startKilnd, type Kilnd } from '../helpers/kilnd.js';
import { freePort } from '../helpers/registry-server.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const daemonMain = fileURLToPath(new URL('../../src/daemon/main.ts', import.meta.url));

async function openssl(dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, as docker's TLS guide makes them. */
async function makeCertificates(dir: string, prefix = ''): Promise<void> {
  const p = (name: string): string => `${prefix}${name}`;
  await openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=kiln test CA', '-keyout', p('ca-key.pem'), '-out', p('ca.pem')]);
  for (const [name, ext] of [['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth'], ['client', 'extendedKeyUsage=clientAuth']] as const) {
    await writeFile(join(dir, p(`${name}.ext`)), `${ext}\n`);
    await openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', p(`${name}-key.pem`), '-out', p(`${name}.csr`)]);
    await openssl(dir, ['x509', '-req', '-days', '2', '-in', p(`${name}.csr`), '-CA', p('ca.pem'), '-CAkey', p('ca-key.pem'), '-CAcreateserial', '-extfile', p(`${name}.ext`), '-out', p(`${name}.pem`)]);
  }
}

const certs = canRunContainers ? await tempDir('daemon-tls-certs') : '';
let kilnd: Kilnd | undefined;
let port = 0;
if (canRunContainers) {
  await makeCertificates(certs);
  await makeCertificates(certs, 'other-');
  port = await freePort();
  kilnd = await startKilnd('daemon-tls', ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify',
    '--tlscacert', join(certs, 'ca.pem'), '--tlscert', join(certs, 'server.pem'), '--tlskey', join(certs, 'server-key.pem')]);
}
after(async () => kilnd?.stop());

/** A GET of /_ping over TLS with the given client certificate (none: undefined). */
async function tlsPing(client: { cert: string; key: string } | undefined, to = port): Promise<string> {
  const [ca, cert, key] = await Promise.all([readFile(join(certs, 'ca.pem')), client && readFile(join(certs, client.cert)), client && readFile(join(certs, client.key))]);
  return new Promise((resolve) => {
    const req = httpsRequest({ host: '127.0.0.1', port: to, path: '/_ping', ca, ...(cert === undefined ? {} : { cert, key }) }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    });
    req.on('error', (err) => resolve(`error: ${err.message}`)).end();
  });
}

describe('kilnd on TCP', { skip: canRunContainers ? false : 'needs root for the daemon' }, () => {
  it('serves a client presenting a certificate from its CA', async () => {
    assert.equal(await tlsPing({ cert: 'client.pem', key: 'client-key.pem' }), '200 OK');
    assert.match(kilnd!.log(), new RegExp(`"tcp":"tcp://127\\.0\\.0\\.1:${port}"`));
  });

  it('lets the docker CLI in with DOCKER_TLS_VERIFY and its certificate', async () => {
    const client = dockerClients.find((each) => each.required)!;
    const certPath = await tempDir('daemon-tls-docker');
    for (const [from, to] of [['ca.pem', 'ca.pem'], ['client.pem', 'cert.pem'], ['client-key.pem', 'key.pem']] as const) {
      await writeFile(join(certPath, to), await readFile(join(certs, from)));
    }
    const { stdout } = await run(client.path, ['version', '--format', '{{.Server.APIVersion}}'], {
      env: { ...process.env, DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certPath, DOCKER_CONFIG: certPath },
    });
    assert.equal(stdout.trim(), '1.41');
  });

  it('refuses a client without a certificate, one from another CA, and plain HTTP', async () => {
    assert.match(await tlsPing(undefined), /^error: /);
    assert.match(await tlsPing({ cert: 'other-client.pem', key: 'other-client-key.pem' }), /^error: /);
    const plain = await new Promise<string>((resolve) => {
      httpRequest({ host: '127.0.0.1', port, path: '/_ping' }, (res) => resolve(`${res.statusCode}`))
        .on('error', (err) => resolve(`error: ${err.message}`)).end();
    });
    assert.match(plain, /^error: /, 'plain HTTP gets no answer at all');
    assert.equal(await tlsPing({ cert: 'client.pem', key: 'client-key.pem' }), '200 OK', 'the daemon still serves');
  });

  it('does not start on a tcp host without --tlsverify, naming the flag, as kilnd or kiln daemon', async () => {
    const root = await tempDir('daemon-tls-refused');
    const refused = spawnSync(process.execPath, ['--import', 'tsx', daemonMain, '--root', root, '-H', 'tcp://127.0.0.1:1'], { encoding: 'utf8' });
    assert.equal(refused.status, 125);
    assert.match(refused.stderr, /--tlsverify/);
    const viaKiln = await runKilnAsync(['--root', root, 'daemon', '-H', 'tcp://127.0.0.1:1']);
    assert.notEqual(viaKiln.status, 0);
    assert.match(viaKiln.stderr, /--tlsverify/);
  });

  it('serves TLS clients as `kiln daemon` too', async () => {
    const user = await tempDir('daemon-tls-kiln');
    const kilnPort = await freePort();
    const { command, args } = kilnCommand(['--root', join(user, 'root'), 'daemon', '-H', `unix://${join(user, 'kiln.sock')}`, '-H', `tcp://127.0.0.1:${kilnPort}`,
      '--tlsverify', '--tlscacert', join(certs, 'ca.pem'), '--tlscert', join(certs, 'server.pem'), '--tlskey', join(certs, 'server-key.pem')]);
    const daemon = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      let log = '';
      await new Promise<void>((resolve, reject) => {
        daemon.stderr.on('data', (chunk: Buffer) => {
          log += chunk.toString();
          if (log.includes('"msg":"listening"')) resolve();
        });
        daemon.once('exit', () => reject(new Error(`kiln daemon exited: ${log}`)));
      });
      assert.equal(await tlsPing({ cert: 'client.pem', key: 'client-key.pem' }, kilnPort), '200 OK');
    } finally {
      daemon.kill('SIGTERM');
      await once(daemon, 'exit');
    }
  });
});
