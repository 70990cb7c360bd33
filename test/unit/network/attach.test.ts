// Real CNI plugins (bridge, host-local, portmap, loopback) as root. Every namespace,
// bridge, lease and per-container iptables chain the tests create is removed in after hooks.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { attach, hostsEntriesFor, NetworkStore, releaseEndpoint, type NetworkConfig } from '../../../src/network/index.js';
import { networkPaths } from '../../../src/network/paths.js';
import { kilnRejection } from '../../helpers/errors.js';

const containerId = () => `t${randomBytes(8).toString('hex')}`;
const netnsList = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
/** Per-container chains: CNI-DN-* (portmap); the shared top-level ones stay. */
const containerChains = () =>
  execFileSync('iptables-save', { encoding: 'utf8' })
    .split('\n')
    .filter((l) => /^:CNI-/.test(l) && !/^:CNI-(HOSTPORT-|FORWARD|ADMIN)/.test(l))
    .map((l) => l.split(' ')[0] ?? l);

function inNetns(netns: string, args: string[]) {
  return spawnSync('ip', ['netns', 'exec', netns, ...args], { encoding: 'utf8', timeout: 10_000 });
}

function fetchOnce(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    let data = '';
    socket.setTimeout(3000, () => socket.destroy(new Error(`timed out connecting to ${host}:${port}`)));
    socket.on('data', (chunk) => (data += chunk));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

describe('attach (real CNI plugins)', () => {
  let root: string;
  let store: NetworkStore;
  let chainsBefore: string[];
  const children: ChildProcess[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'kiln-netattach-'));
    store = new NetworkStore(root);
    chainsBefore = containerChains();
  });

  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    for (const network of await store.list()) {
      for (const entry of await readdir(networkPaths.endpoints(root, network.name)).catch(() => [] as string[])) {
        await releaseEndpoint(root, network.name, entry.replace(/\.json$/, '')).catch(() => undefined);
      }
      // kiln0 is the host's one default bridge, which other roots (and test files) share: it stays.
      if (network.name !== 'bridge') await store.remove(network.name).catch(() => undefined);
    }
    await rm(root, { recursive: true, force: true });
  });

  it('connects two containers on a user network, and releases them', async () => {
    const network = await store.create({ name: 'pair', subnet: '10.231.0.0/24' });
    const [a, b] = [containerId(), containerId()];
    const first = await attach(root, network, a, { hostname: 'alpha', aliases: ['web'] });
    const second = await attach(root, network, b, { hostname: 'beta' });
    assert.equal(first.netnsPath, `/var/run/netns/kiln-${a}`);
    assert.equal(first.gateway, '10.231.0.1');
    assert.match(first.ip, /^10\.231\.0\.\d+$/);
    assert.notEqual(first.ip, second.ip);
    assert.match(first.mac ?? '', /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);

    const ping = inNetns(`kiln-${a}`, ['busybox', 'ping', '-c1', '-W1', second.ip]);
    assert.equal(ping.status, 0, ping.stdout + ping.stderr);
    const lo = inNetns(`kiln-${a}`, ['busybox', 'ping', '-c1', '-W1', '127.0.0.1']);
    assert.equal(lo.status, 0, 'loopback is up');

    assert.deepEqual(await hostsEntriesFor(network, root, b), [`${first.ip} alpha web`]);
    assert.deepEqual((await hostsEntriesFor(network, root)).sort(), [`${first.ip} alpha web`, `${second.ip} beta`].sort());

    await first.release();
    await second.release();
    await first.release();
    assert.doesNotMatch(netnsList(), new RegExp(`kiln-${a}|kiln-${b}`));
    assert.deepEqual(await hostsEntriesFor(network, root), []);
    await store.remove('pair');
    assert.equal(spawnSync('ip', ['link', 'show', network.bridge]).status !== 0, true, 'bridge deleted');
  });

  it('attaches to the default bridge network (kiln0)', async () => {
    const network = await store.ensureDefault();
    const id = containerId();
    const attachment = await attach(root, network, id);
    try {
      assert.equal(attachment.gateway, network.gateway);
      assert.match(execFileSync('ip', ['-4', 'addr', 'show', 'kiln0'], { encoding: 'utf8' }), new RegExp(`inet ${network.gateway.replace(/\./g, '\\.')}/16`));
      const ping = inNetns(`kiln-${id}`, ['busybox', 'ping', '-c1', '-W1', network.gateway]);
      assert.equal(ping.status, 0, ping.stdout + ping.stderr);
      assert.match(inNetns(`kiln-${id}`, ['ip', 'route']).stdout, new RegExp(`default via ${network.gateway.replace(/\./g, '\\.')}`));
    } finally {
      await attachment.release();
    }
  });

  it('publishes a container port on 127.0.0.1 and refuses a taken host port', async () => {
    const network = await store.create({ name: 'ports', subnet: '10.231.1.0/24' });
    const id = containerId();
    const attachment = await attach(root, network, id, { ports: [{ hostPort: 0, containerPort: 80, protocol: 'tcp' }] });
    const hostPort = attachment.ports[0]?.hostPort ?? 0;
    assert.ok(hostPort > 0, 'an ephemeral host port was chosen');
    const server = spawn('ip', ['netns', 'exec', `kiln-${id}`, process.execPath, '-e',
      "require('net').createServer((s) => s.end('hello from the container')).listen(80, () => console.log('listening'))"], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(server);
    await new Promise((resolve) => server.stdout?.once('data', resolve));
    assert.equal(await fetchOnce('127.0.0.1', hostPort), 'hello from the container');

    // The same host port again, this time published by another container.
    const second = containerId();
    const again = await kilnRejection(attach(root, network, second, { ports: [{ hostPort, containerPort: 80, protocol: 'tcp' }] }));
    assert.equal(again.code, 'CONFLICT');
    assert.match(again.message, new RegExp(`port ${hostPort} is already allocated`));
    server.kill();
    await attachment.release();
  });

  it('names a host port some process holds, and leaves nothing behind', async () => {
    const network = await store.create({ name: 'taken', subnet: '10.231.2.0/24' });
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '0.0.0.0', resolve));
    after(() => new Promise<void>((resolve) => holder.close(() => resolve())));
    const port = (holder.address() as { port: number }).port;
    const id = containerId();
    const err = await kilnRejection(attach(root, network, id, { ports: [{ hostPort: port, containerPort: 80, protocol: 'tcp' }] }));
    assert.equal(err.code, 'CONFLICT');
    assert.match(err.message, new RegExp(`0\\.0\\.0\\.0:${port}/tcp.*port ${port} is already allocated`));
    assert.doesNotMatch(netnsList(), new RegExp(`kiln-${id}`));
    assert.equal(existsSync(networkPaths.endpoint(root, 'taken', id)), false);
    assert.deepEqual(await readdir(networkPaths.ipam(root)).then((d) => d.includes('kiln-taken')), false);
  });

  it('releases from the cached state after the attaching process was killed', async () => {
    const network: NetworkConfig = await store.create({ name: 'crash', subnet: '10.231.3.0/24' });
    const id = containerId();
    const module = fileURLToPath(new URL('../../../src/network/index.ts', import.meta.url));
    const script = `const { attach } = await import(${JSON.stringify(module)});
      const a = await attach(${JSON.stringify(root)}, ${JSON.stringify(network)}, ${JSON.stringify(id)}, { ports: [{ hostPort: 0, containerPort: 8080, protocol: 'tcp' }] });
      console.log(a.ip); process.kill(process.pid, 'SIGKILL');`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(child.signal, 'SIGKILL', child.stderr);
    const ip = child.stdout.trim();
    assert.match(ip, /^10\.231\.3\.\d+$/);
    assert.match(netnsList(), new RegExp(`kiln-${id}`));
    const leases = networkPaths.ipam(root) + '/kiln-crash';
    assert.ok((await readdir(leases)).includes(ip), 'host-local holds the lease');
    assert.ok(containerChains().length > chainsBefore.length, 'portmap chains exist');

    await releaseEndpoint(root, 'crash', id);
    await releaseEndpoint(root, 'crash', id);
    assert.doesNotMatch(netnsList(), new RegExp(`kiln-${id}`));
    assert.equal((await readdir(leases)).includes(ip), false, 'the lease is released');
    assert.deepEqual(containerChains(), chainsBefore, 'no per-container iptables chain is left');
    assert.equal(existsSync(networkPaths.endpoint(root, 'crash', id)), false);
  });
});
