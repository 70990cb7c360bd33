// Extra CAs for registry TLS: the bundle bin/kiln hands on as KILN_EXTRA_CA_CERTS is trusted
// by an undici agent made with registryCertificateAuthorities (against a real TLS server with
// a self-signed certificate), and the launcher moves NODE_EXTRA_CA_CERTS out of Node's way.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { registryCertificateAuthorities } from '../../../src/registry/extra-ca.js';
import { tempDir } from '../../helpers/tmp.js';

const dir = await tempDir('extra-ca');
execFileSync('openssl', [
  'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  '-days', '1', '-subj', '/CN=kiln test registry', '-addext', 'subjectAltName=IP:127.0.0.1',
], { stdio: 'ignore' });

const server = createServer({ key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) }, (_req, res) => {
  res.writeHead(200, { 'docker-distribution-api-version': 'registry/2.0' }).end('{}');
});
await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
after(() => new Promise<void>((done) => server.close(() => done())));
const address = server.address();
const url = `https://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/v2/`;

async function get(ca: string[] | undefined): Promise<number> {
  const agent = new Agent({ connect: { ...(ca === undefined ? {} : { ca }) } });
  try {
    const response = await request(url, { dispatcher: agent });
    await response.body.dump();
    return response.statusCode;
  } finally {
    await agent.close();
  }
}

describe('registryCertificateAuthorities', () => {
  it('adds the bundle to Node\'s roots, so a registry signed by it is trusted', async () => {
    const ca = registryCertificateAuthorities({ KILN_EXTRA_CA_CERTS: join(dir, 'cert.pem') });
    assert.ok(ca !== undefined && ca.length > 100, 'the bundled roots are kept');
    assert.equal(await get(ca), 200);
    await assert.rejects(get(undefined), /self-signed|self signed/);
  });

  it('keeps Node\'s defaults when unset, and warns and goes on when the bundle is unreadable', async () => {
    assert.equal(registryCertificateAuthorities({}), undefined);
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.message);
    process.on('warning', onWarning);
    assert.equal(registryCertificateAuthorities({ KILN_EXTRA_CA_CERTS: join(dir, 'missing.pem') }), undefined);
    await new Promise((done) => setImmediate(done));
    process.off('warning', onWarning);
    assert.match(warnings.join('\n'), /Ignoring extra certs from `.*missing\.pem`/);
  });
});

describe('bin/kiln', () => {
  it('runs the CLI through a symlink with NODE_EXTRA_CA_CERTS handed on as KILN_EXTRA_CA_CERTS', async () => {
    // A stand-in `node` first on PATH shows what the launcher passes on.
    const fakeBin = join(dir, 'fake-bin');
    await mkdir(fakeBin);
    await writeFile(join(fakeBin, 'node'), '#!/bin/sh\necho "node=${NODE_EXTRA_CA_CERTS-unset} kiln=${KILN_EXTRA_CA_CERTS-unset} $*"\n');
    await chmod(join(fakeBin, 'node'), 0o755);
    await symlink(resolve('bin/kiln'), join(dir, 'kiln'));
    const env = { PATH: `${fakeBin}:${process.env['PATH'] ?? ''}` };
    const moved = await promisify(execFile)(join(dir, 'kiln'), ['ps', '-a'], { env: { ...env, NODE_EXTRA_CA_CERTS: '/etc/ca.pem' } });
    assert.equal(moved.stdout, `node=unset kiln=/etc/ca.pem ${resolve('dist/bin/kiln.cjs')} ps -a\n`);
    const untouched = await promisify(execFile)(join(dir, 'kiln'), ['--version'], { env });
    assert.equal(untouched.stdout, `node=unset kiln=unset ${resolve('dist/bin/kiln.cjs')} --version\n`);
  });
});
