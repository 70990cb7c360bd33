// Bad input to kilnd, native API and Docker API alike: malformed JSON bodies, unknown endpoints,
// bad query parameters, a request head over the limit, truncated and path-traversing tar
// uploads. Each gets a 4xx with a JSON message; afterwards the daemon still serves, and the
// store is file for file what it was before (no half-written blob, no leftover context, no
// record of anything). Then garbage bodies and parameters to every route the daemon has: none
// may end in an internal error (a 5xx other than a 503), and the daemon must live on.
import assert from 'node:assert/strict';
import { readdir, lstat } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { canRunContainers } from '../helpers/kiln-env.js';
import { startKilnd } from '../helpers/kilnd.js';
import { makeTar } from '../helpers/tar-files.js';
import { tempDir } from '../helpers/tmp.js';
import { openEngine } from '../../src/daemon/images/engine.js';
import { routes } from '../../src/daemon/server/daemon.js';
import { jsonLogger } from '../../src/daemon/server/logger.js';
import { ForegroundRuns } from '../../src/daemon/server/run-route.js';

const kilnd = canRunContainers ? await startKilnd('api-bad-input') : undefined;
after(async () => kilnd?.stop());

interface Answer {
  status: number;
  body: string;
}

function send(method: string, path: string, options: { body?: Buffer | string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: kilnd!.socket, method, path, headers: options.headers ?? {}, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject).end(options.body);
  });
}

/**
 * Every file under the store root with its size. Left out: directories (the staging directory
 * of uploaded contexts stays, empty) and the endpoint pool's records (namespaces the daemon keeps
 * ready, refilled in the background).
 */
async function storeListing(root: string): Promise<string[]> {
  const entries = (await readdir(root, { recursive: true })).filter((entry) => !entry.startsWith('network/pool'));
  const listing = await Promise.all(entries.map(async (entry) => {
    const path = join(root, entry);
    const stat = await lstat(path).catch(() => undefined);
    if (stat === undefined || stat.isSocket()) return undefined;
    if (stat.isDirectory()) return undefined;
    return `${relative(root, path)} ${stat.size}`;
  }));
  return listing.filter((line): line is string => line !== undefined).sort();
}

/**
 * One request written as is on a connection of its own, and everything the daemon answers until
 * it closes: no client library's rules about which methods may carry a body.
 */
function exchange(request: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(kilnd!.socket);
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(answer));
    socket.setTimeout(20_000, () => socket.destroy());
    socket.write(request);
  });
}

/** Paths a route's pattern matches, its captures filled with a name that exists and one that does not. */
function samplePaths(pattern: RegExp): string[] {
  const path = pattern.source.replace(/^\^/, '').replace(/\$$/, '').replaceAll('\\/', '/');
  const capture = /\(\[\^\/\]\+\)|\(\.\+\)/g;
  return [path.replace(capture, 'busybox:1'), path.replace(capture, 'nosuch')];
}

describe('bad input to kilnd', { skip: canRunContainers ? false : 'needs root for the daemon' }, () => {
  it('answers each with a JSON 4xx, keeps serving, and changes nothing in the store', async () => {
    const before = await storeListing(kilnd!.root);
    assert.ok(before.some((line) => line.startsWith('content/blobs/')), 'the store holds the fixture');
    const json = { 'Content-Type': 'application/json' };
    const tarHeaders = { 'Content-Type': 'application/x-tar' };
    const context = await makeTar([{ name: 'Dockerfile', data: 'FROM busybox:1\nCOPY . /app\n' }, { name: 'a.txt', data: 'a'.repeat(4000) }]);
    const traversing = await makeTar([{ name: 'Dockerfile', data: 'FROM busybox:1\n' }, { name: '../../escaped.txt', data: 'x' }]);
    const cases: Array<[string, Promise<Answer>, number, RegExp]> = [
      ['malformed JSON, native', send('POST', '/kiln/v1/build/prune', { body: '{"all": tru', headers: json }), 400, /malformed JSON/],
      ['malformed JSON, Docker create', send('POST', '/v1.41/containers/create', { body: '{"Image":', headers: json }), 400, /JSON/],
      ['a JSON body of the wrong shape', send('POST', `/kiln/v1/images/${encodeURIComponent('busybox:1')}/tag`, { body: '[1, 2]', headers: json }), 400, /./],
      ['an unknown endpoint', send('GET', '/v1.41/no/such/thing'), 404, /page not found/],
      ['a bad filters parameter', send('GET', '/v1.41/images/json?filters=%7Bnot-json'), 400, /filters/],
      ['an unknown filter', send('GET', '/v1.41/containers/json?filters=%7B%22colour%22%3A%7B%22red%22%3Atrue%7D%7D'), 400, /colour/],
      ['a bad integer parameter', send('POST', '/v1.41/containers/nothing-here/stop?t=soon'), 400, /integer/],
      ['a request head over the limit', send('GET', '/_ping', { headers: { 'X-Padding': 'x'.repeat(20_000) } }), 431, /headers larger/],
      ['a truncated build context', send('POST', '/v1.41/build?t=bad:1', { body: context.subarray(0, 1200), headers: tarHeaders }), 400, /./],
      ['a path-traversing build context', send('POST', '/v1.41/build?t=bad:2', { body: traversing, headers: tarHeaders }), 400, /outside the context/],
      ['a truncated image archive, Docker load', send('POST', '/v1.41/images/load?quiet=1', { body: context.subarray(0, 1200), headers: tarHeaders }), 400, /./],
      ['garbage as an image archive, native load', send('POST', '/kiln/v1/images/load', { body: 'not a tar at all', headers: tarHeaders }), 400, /./],
      ['an unknown image', send('DELETE', '/v1.41/images/no-such-image:1'), 404, /No such image/],
      ['a run without its upgrade', send('POST', '/kiln/v1/containers/run', { body: '{}', headers: json }), 400, /Upgrade/],
    ];
    for (const [what, answer, status, message] of cases) {
      const { status: got, body } = await answer;
      assert.equal(got, status, `${what}: ${body}`);
      assert.match((JSON.parse(body) as { message: string }).message, message, what);
    }
    assert.deepEqual(await send('GET', '/_ping'), { status: 200, body: 'OK' });
    assert.deepEqual(await storeListing(kilnd!.root), before);
  });

  it('answers garbage to every route without an internal error, and lives on', { timeout: 240_000 }, async () => {
    const engine = await openEngine({ root: await tempDir('api-bad-input-routes') });
    const table = routes(jsonLogger({ debug: false, write: () => undefined }), engine, new ForegroundRuns()).table();
    await engine.close();
    const bodies = ['{', '{"Image": 5, "image": [], "args": "x", "Cmd": {}}', 'x'.repeat(3000)];
    const queries = ['?filters=%7B&all=maybe', '?t=-1&tail=x&since=y&signal=NOPE', '?h=-3&w=999999&names=&fromImage=%00'];
    const internal: string[] = [];
    // Login, pull and push of a well-formed name would reach out to a registry on the network
    // (Docker Hub for busybox:1): their bad input is checked in the suites of those routes.
    const reachesRegistry = (pattern: RegExp): boolean => /auth|push|images\/create|images\/pull/.test(pattern.source.replaceAll('\\/', '/'));
    for (const { method, pattern } of table.filter((route) => !reachesRegistry(route.pattern))) {
      for (const path of samplePaths(pattern)) {
        for (const query of queries) {
          for (const body of bodies) {
            const answer = await exchange(`${method} ${path}${query} HTTP/1.1\r\nHost: kilnd\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
            const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
            if (status === 0 || (status >= 500 && status !== 503)) internal.push(`${method} ${path}${query} ${body.slice(0, 20)}: ${answer.slice(0, 160)}`);
          }
        }
      }
    }
    assert.deepEqual(internal, []);
    assert.deepEqual(await send('GET', '/_ping'), { status: 200, body: 'OK' });
    assert.equal(kilnd!.daemon.exitCode, null);
  });
});
