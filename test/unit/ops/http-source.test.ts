// The http source against a server on 127.0.0.1: one file, mode 0600, mtime from Last-Modified;
// keyed by the body's digest (an unchanged body hits, a changed one reruns); with a checksum
// no request at all once cached, and a body that does not match it refused with both digests.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { engineSnapshotter, openEngine, type ImageEngine } from '../../../src/daemon/images/engine.js';
import { http, marshal, type State } from '../../../src/llb/index.js';
import { buildWorkDir, loadDefinition, snapshotCodec, type SnapshotRef } from '../../../src/ops/index.js';
import { mountAll, unmountAll } from '../../../src/snapshot/index.js';
import { RecordCacheManager, Solver, type ProgressEvent } from '../../../src/solver/index.js';
import { isKilnError } from '../../../src/util/errors.js';
import { serveOnLoopback } from '../../helpers/loopback-server.js';
import { tempDir } from '../../helpers/tmp.js';

const modified = new Date('2021-03-04T05:06:07Z');

describe('http source', { skip: process.getuid?.() === 0 ? false : 'needs root for mounts' }, async () => {
  const root = await tempDir('ops-http');
  let body = 'version one\n';
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === '/missing') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'last-modified': modified.toUTCString() }).end(body);
  });
  const { host } = await serveOnLoopback(server, 'file server');
  let engine: ImageEngine | undefined;
  after(async () => {
    await engine?.close();
  });

  async function solve(state: State, events: ProgressEvent[] = []): Promise<SnapshotRef> {
    engine ??= await openEngine({ root });
    const snapshotter = engineSnapshotter(engine);
    const edge = loadDefinition({ engine, snapshotter, runcRoot: join(root, 'runc'), workDir: buildWorkDir(root) }, marshal(state));
    assert.ok(edge !== undefined);
    return new Solver(new RecordCacheManager(root, snapshotCodec(snapshotter)), { jobs: 2 }).solve(edge, { progress: (e) => events.push(e) });
  }

  async function read(ref: SnapshotRef, name: string): Promise<{ text: string; mode: number; mtime: number; uid: number }> {
    assert.ok(ref.snapshot !== undefined && engine !== undefined);
    const snapshotter = engineSnapshotter(engine);
    const view = `view-${Date.now()}`;
    const dir = join(root, 'mnt', view);
    await mkdir(dir, { recursive: true });
    await mountAll(await snapshotter.view(view, ref.snapshot), dir);
    try {
      const stats = await stat(join(dir, name));
      return { text: await readFile(join(dir, name), 'utf8'), mode: stats.mode & 0o7777, mtime: stats.mtime.getTime(), uid: stats.uid };
    } finally {
      await unmountAll(dir);
      await snapshotter.remove(view);
    }
  }

  const ran = (events: ProgressEvent[]): boolean => events.some((e) => e.completed !== undefined && e.cached !== true);

  it('downloads one file named from the URL, mode 0600, with the server\'s Last-Modified', async () => {
    const ref = await solve(http(`http://${host}/files/tool.txt`));
    assert.deepEqual(await read(ref, 'tool.txt'), { text: 'version one\n', mode: 0o600, mtime: modified.getTime(), uid: 0 });
  });

  it('hits the cache for an unchanged body and downloads again for a changed one', async () => {
    const same: ProgressEvent[] = [];
    await solve(http(`http://${host}/files/tool.txt`), same);
    assert.equal(ran(same), false);
    body = 'version two\n';
    const changed: ProgressEvent[] = [];
    const ref = await solve(http(`http://${host}/files/tool.txt`), changed);
    assert.equal(ran(changed), true);
    assert.equal((await read(ref, 'tool.txt')).text, 'version two\n');
  });

  it('verifies a checksum, and asks nothing of the server once the step is cached', async () => {
    const checksum = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const pinned = http(`http://${host}/files/pinned.txt`, { checksum });
    await solve(pinned);
    const before = requests.length;
    const again: ProgressEvent[] = [];
    await solve(pinned, again);
    assert.deepEqual([ran(again), requests.length], [false, before]);

    const wrong = `sha256:${'0'.repeat(64)}`;
    const err = await solve(http(`http://${host}/files/other.txt`, { checksum: wrong })).then(() => assert.fail('expected a mismatch'), (e: unknown) => e);
    assert.ok(isKilnError(err));
    assert.match(err.message, new RegExp(`ADD http://${host}/files/other.txt: checksum mismatch: expected ${wrong}, got ${checksum}`));
  });

  it('fails naming the URL when the server has no such file', async () => {
    const err = await solve(http(`http://${host}/missing`)).then(() => assert.fail('expected a failure'), (e: unknown) => e);
    assert.ok(isKilnError(err));
    assert.equal(err.code, 'NOT_FOUND');
    assert.match(err.message, new RegExp(`ADD http://${host}/missing: the server answered 404`));
  });
});
