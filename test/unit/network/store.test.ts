import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { NetworkStore } from '../../../src/network/index.js';
import { networkPaths } from '../../../src/network/paths.js';
import { kilnRejection } from '../../helpers/errors.js';
import { tempDir } from '../../helpers/tmp.js';

describe('NetworkStore', () => {
  it('creates, finds by name, ID and ID prefix, lists and removes networks', async () => {
    const store = new NetworkStore(await tempDir('netstore'));
    const net = await store.create({ name: 'front', subnet: '10.201.0.0/24', labels: { team: 'web' } });
    assert.match(net.id, /^[0-9a-f]{64}$/);
    assert.equal(net.bridge, `kiln-${net.id.slice(0, 10)}`);
    assert.ok(net.bridge.length <= 15, 'Linux interface names hold 15 characters');
    assert.deepEqual({ subnet: net.subnet, gateway: net.gateway, driver: net.driver, labels: net.labels }, {
      subnet: '10.201.0.0/24', gateway: '10.201.0.1', driver: 'bridge', labels: { team: 'web' },
    });
    assert.deepEqual(await store.get('front'), net);
    assert.deepEqual(await store.get(net.id), net);
    assert.deepEqual(await store.get(net.id.slice(0, 6)), net);
    const auto = await store.create({ name: 'back' });
    assert.notEqual(auto.subnet, net.subnet);
    assert.deepEqual((await store.list()).map((n) => n.name), ['front', 'back']);
    await store.remove('front');
    assert.equal((await kilnRejection(store.get('front'))).code, 'NOT_FOUND');
    assert.deepEqual((await store.list()).map((n) => n.name), ['back']);
  });

  it('refuses duplicate names, reserved names, bad names and overlapping subnets', async () => {
    const store = new NetworkStore(await tempDir('netstore'));
    await store.create({ name: 'a', subnet: '10.202.0.0/16' });
    assert.equal((await kilnRejection(store.create({ name: 'a' }))).code, 'ALREADY_EXISTS');
    assert.equal((await kilnRejection(store.create({ name: 'host' }))).code, 'CONFLICT');
    assert.equal((await kilnRejection(store.create({ name: '-x' }))).code, 'INVALID_ARGUMENT');
    const overlap = await kilnRejection(store.create({ name: 'b', subnet: '10.202.3.0/24' }));
    assert.equal(overlap.code, 'CONFLICT');
    assert.match(overlap.message, /overlaps network a/);
  });

  it('creates the default network once, on 172.30.0.0/16 or the first free 172.x /16', async () => {
    const store = new NetworkStore(await tempDir('netstore'));
    const first = await store.ensureDefault();
    assert.equal(first.name, 'bridge');
    assert.equal(first.bridge, 'kiln0');
    assert.match(first.subnet, /^172\.(1[7-9]|2\d|3[01])\.0\.0\/16$/);
    assert.deepEqual(await store.ensureDefault(), first);
    assert.equal((await kilnRejection(store.remove('bridge'))).code, 'DENIED');

    const other = new NetworkStore(await tempDir('netstore'));
    await other.create({ name: 'squatter', subnet: '172.30.0.0/16' });
    assert.notEqual((await other.ensureDefault()).subnet, '172.30.0.0/16');
  });

  it('refuses to remove a network with attached endpoints', async () => {
    const root = await tempDir('netstore');
    const store = new NetworkStore(root);
    await store.create({ name: 'busy', subnet: '10.203.0.0/24' });
    await mkdir(networkPaths.endpoints(root, 'busy'), { recursive: true });
    await writeFile(networkPaths.endpoint(root, 'busy', 'c0ffee00c0ffee00'), '{}');
    const err = await kilnRejection(store.remove('busy'));
    assert.equal(err.code, 'CONFLICT');
    assert.match(err.message, /active endpoints: c0ffee00c0ff/);
  });
});
