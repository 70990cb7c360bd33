// The endpoint pool (src/network/pool.ts) with the real CNI plugins and real namespaces, as
// root: filling, handing a namespace to a container, releasing it in the background, closing,
// and recovering what a killed owner left. Every namespace a test pool made is released in the
// after hook; the file compares `ip netns list` with what it found, for its own names only, as
// other test files attach to kiln0 at the same time.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { releaseEndpointAt } from '../../../src/network/attach.js';
import { networkEndpoints, readEndpoint } from '../../../src/network/endpoints.js';
import { networkPaths, SHARED_IPAM_DIR } from '../../../src/network/paths.js';
import { EndpointPool, type EndpointPoolOptions } from '../../../src/network/pool.js';
import { NetworkStore } from '../../../src/network/store.js';
import { tempDir } from '../../helpers/tmp.js';

const asRoot = process.getuid?.() === 0;
const root = await tempDir('netpool');
const netnsNames = (): string[] => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n !== '');
const containerId = (): string => randomBytes(32).toString('hex');
const leases = join(SHARED_IPAM_DIR, 'kiln-bridge');
const errors: unknown[] = [];
const options: EndpointPoolOptions = { containerExists: async () => true, onError: (err) => errors.push(err) };
const pools: EndpointPool[] = [];
/** Every namespace name a pool of this file may have made (from its pool and endpoint records). */
const ours = new Set<string>();

async function startPool(extra: Partial<EndpointPoolOptions> = {}): Promise<EndpointPool> {
  const pool = await EndpointPool.start(root, { ...options, ...extra });
  pools.push(pool);
  return pool;
}

/** Names of this root's pooled namespaces, as the records say, and remembered for the check at the end. */
async function recordedNamespaces(): Promise<string[]> {
  const records = [
    ...(await readdir(networkPaths.pool(root)).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).map((n) => `kiln-${n.slice(0, -5)}`),
    ...(await networkEndpoints(root, 'bridge')).map((e) => basename(e.netnsPath)),
  ];
  for (const name of records) ours.add(name);
  return records;
}

function inNetns(netns: string, args: string[]) {
  return spawnSync('ip', ['netns', 'exec', netns, ...args], { encoding: 'utf8', timeout: 10_000 });
}

describe('EndpointPool (real CNI plugins)', { skip: asRoot ? false : 'needs root for network namespaces' }, () => {
  const before = new Set(netnsNames());

  after(async () => {
    await recordedNamespaces();
    for (const pool of pools) await pool.close().catch(() => undefined);
    for (const entry of await readdir(networkPaths.pool(root)).catch(() => [] as string[])) {
      await releaseEndpointAt(join(networkPaths.pool(root), entry)).catch(() => undefined);
    }
    for (const endpoint of await networkEndpoints(root, 'bridge')) {
      await releaseEndpointAt(networkPaths.endpoint(root, 'bridge', endpoint.containerId)).catch(() => undefined);
    }
    const left = netnsNames().filter((name) => ours.has(name) && !before.has(name));
    assert.deepEqual(left, [], 'no namespace of this file is left');
  });

  it('fills, hands a working namespace to a container, and releases it in the background', async () => {
    const pool = await startPool();
    await pool.idle();
    assert.equal(pool.available, 2);
    const filled = await recordedNamespaces();
    assert.equal(filled.length, 2);
    for (const name of filled) assert.match(name, /^kiln-pool-[0-9a-f]{16}$/);
    assert.ok(filled.every((name) => netnsNames().includes(name)), 'the pooled namespaces exist');

    const network = await new NetworkStore(root).get('bridge');
    const id = containerId();
    const endpoint = await pool.take(id, { hostname: id.slice(0, 12) });
    assert.ok(endpoint !== undefined);
    const netns = basename(endpoint.netnsPath);
    assert.ok(filled.includes(netns), 'a ready namespace was handed over');
    assert.equal(endpoint.gateway, network.gateway);
    assert.match(inNetns(netns, ['ip', '-4', 'addr', 'show', 'eth0']).stdout, new RegExp(`inet ${endpoint.ip.replace(/\./g, '\\.')}/16`));
    const ping = inNetns(netns, ['busybox', 'ping', '-c1', '-W1', network.gateway]);
    assert.equal(ping.status, 0, ping.stdout + ping.stderr);

    const record = await readEndpoint(root, 'bridge', id);
    assert.equal(record?.cniContainerId, `pool-${netns.slice('kiln-pool-'.length)}`);
    assert.equal(record?.hostname, id.slice(0, 12));
    assert.equal(existsSync(networkPaths.poolEntry(root, record?.cniContainerId ?? '')), false, 'the pool record went');
    // host-local keys the lease by the CNI container ID ADD ran with.
    assert.match(await readFile(join(leases, endpoint.ip), 'utf8'), new RegExp(`^${record?.cniContainerId ?? ''}`));

    await pool.idle();
    assert.equal(pool.available, 2, 'a refill replaced the namespace taken');
    await recordedNamespaces();
    pool.release(id);
    await pool.idle();
    assert.ok(!netnsNames().includes(netns), 'the namespace is deleted');
    assert.equal(existsSync(join(leases, endpoint.ip)), false, 'the lease is released');
    assert.equal(await readEndpoint(root, 'bridge', id), undefined, 'the endpoint record is removed');

    await pool.close();
    assert.deepEqual(await recordedNamespaces(), [], 'close releases the pooled namespaces and their records');
    assert.equal(await pool.take(containerId()), undefined, 'a closed pool hands out nothing');
    assert.deepEqual(errors, []);
  });

  it('hands out nothing when no namespace is ready', async () => {
    const pool = await startPool({ size: 0 });
    assert.equal(await pool.take(containerId()), undefined);
    await pool.idle();
    assert.equal(pool.available, 0, 'a pool of size 0 never fills');
    await pool.close();
  });

  it('close waits for the releases under way and leaves no record', async () => {
    const pool = await startPool({ size: 1 });
    await pool.idle();
    const id = containerId();
    const endpoint = await pool.take(id);
    assert.ok(endpoint !== undefined);
    await recordedNamespaces();
    pool.release(id);
    await pool.close();
    assert.deepEqual(await recordedNamespaces(), []);
    assert.ok(!netnsNames().includes(basename(endpoint.netnsPath)));
    assert.deepEqual(errors, []);
  });

  it('recovers a pool record left by a crash during a handover without touching the namespace taken', async () => {
    const pool = await startPool({ size: 1 });
    await pool.idle();
    const [entry] = await readdir(networkPaths.pool(root));
    assert.ok(entry !== undefined);
    const stale = await readFile(join(networkPaths.pool(root), entry), 'utf8');
    const id = containerId();
    const endpoint = await pool.take(id);
    assert.ok(endpoint !== undefined);
    await pool.close();
    // The owner died after writing the container's endpoint record, before removing its own.
    await writeFile(join(networkPaths.pool(root), entry), JSON.stringify({ ...JSON.parse(stale), owner: '999999999:0' }));
    await recordedNamespaces();

    await startPool({ size: 0 });
    assert.deepEqual(await readdir(networkPaths.pool(root)), [], 'the stale pool record goes');
    assert.ok(netnsNames().includes(basename(endpoint.netnsPath)), 'the container keeps its namespace');
    assert.equal((await readEndpoint(root, 'bridge', id))?.ip, endpoint.ip);
    await releaseEndpointAt(networkPaths.endpoint(root, 'bridge', id));
    assert.ok(!netnsNames().includes(basename(endpoint.netnsPath)));
    assert.deepEqual(errors, []);
  });

  it('recovers the namespaces of an owner killed with -9, and endpoints whose container is gone', async () => {
    const module = fileURLToPath(new URL('../../../src/network/pool.ts', import.meta.url));
    const script = `const { EndpointPool } = await import(${JSON.stringify(module)});
      const pool = await EndpointPool.start(${JSON.stringify(root)}, { containerExists: async () => true });
      await pool.idle();
      await pool.take('gone${'0'.repeat(60)}');
      await pool.idle();
      process.kill(process.pid, 'SIGKILL');`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.signal, 'SIGKILL', child.stderr);
    const left = await recordedNamespaces();
    assert.equal(left.length, 3, 'two pooled namespaces and one taken');
    assert.ok(left.every((name) => netnsNames().includes(name)));
    const addresses = (await networkEndpoints(root, 'bridge')).map((e) => e.ip ?? '');

    const pool = await startPool({ size: 0, containerExists: async () => false });
    assert.deepEqual(await recordedNamespaces(), [], 'the dead owner\'s records are released');
    assert.ok(left.every((name) => !netnsNames().includes(name)), 'and its namespaces deleted');
    for (const ip of addresses) assert.equal(existsSync(join(leases, ip)), false, `the lease of ${ip} is released`);
    await pool.close();
    assert.deepEqual(errors, []);
  });
});
