// `kiln run` on networks, against real runc and the CNI plugins: the default bridge, none, a
// user network whose containers reach each other by name, published ports, and the release of
// every endpoint (run end, rm -f, a supervisor killed with -9). Nothing may be left: no
// container, endpoint, network namespace, mount or runc state of this root.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { get } from 'node:http';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { canRunContainers, containerUser } from '../helpers/kiln-env.js';
import { settledEntries } from '../helpers/store-entries.js';

const user = await containerUser('netrun');
const { image } = user;
/** A user network of this test file, on a subnet unlikely to meet another test's. */
const userNet = `kt${process.pid}`;
const userSubnet = `10.234.${process.pid % 250}.0/24`;
const seenIds = new Set<string>();

const netnsNames = (): string[] => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0] ?? '');
const endpointPath = (network: string, id: string): string => join(user.root, 'network', 'endpoints', network, `${id}.json`);

async function endpointFiles(): Promise<string[]> {
  const dir = join(user.root, 'network', 'endpoints');
  const networks = await readdir(dir).catch(() => [] as string[]);
  return (await Promise.all(networks.map((n) => readdir(join(dir, n)).catch(() => [] as string[])))).flat();
}

async function kilnOk(args: string[]): Promise<string> {
  const result = await user.kiln(args);
  assert.equal(result.status, 0, `kiln ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

async function runDetached(args: string[]): Promise<string> {
  const id = (await kilnOk(['run', '-d', ...args])).trim();
  seenIds.add(id);
  return id;
}

function inSubnet(ip: string, cidr: string): boolean {
  const toNumber = (text: string): number => text.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
  const [base = '', prefix = '32'] = cidr.split('/');
  const size = 2 ** (32 - Number(prefix));
  return Math.floor(toNumber(ip) / size) === Math.floor(toNumber(base) / size);
}

function httpGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = get({ host: '127.0.0.1', port, path, timeout: 2000 }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve(body));
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
  });
}

/** Retries while the container's server is still starting. */
async function httpGetEventually(port: number, path: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await httpGet(port, path);
    } catch (err) {
      if (attempt >= 40) throw err;
      await delay(100);
    }
  }
}

function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function freePort(): Promise<number> {
  const server = await listen();
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

async function inspect(name: string): Promise<{ Id: string; State: { Pid: number }; NetworkSettings: { Networks: Record<string, { IPAddress: string }>; Ports: Record<string, unknown> } }> {
  const [found] = JSON.parse(await kilnOk(['container', 'inspect', name])) as [never];
  return found;
}

describe('kiln run on networks', { skip: canRunContainers ? false : 'needs root for runc and network namespaces' }, () => {
  after(async () => {
    const ids = (await kilnOk(['ps', '-a', '-q', '--no-trunc'])).split('\n').filter((id) => id !== '');
    if (ids.length > 0) await user.kiln(['rm', '-f', ...ids]);
    await user.kiln(['network', 'rm', userNet]);
    const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
    assert.ok(!mountinfo.includes(user.root), 'a mount is left under the root');
    assert.equal(await user.runcList(), '');
    assert.deepEqual(await endpointFiles(), []);
    const left = netnsNames().filter((name) => [...seenIds].some((id) => name === `kiln-${id}`));
    assert.deepEqual(left, []);
  });

  it('puts a container on the default bridge with eth0 in its subnet and its own name in /etc/hosts', async () => {
    const ran = await user.kiln(['run', '--rm', image, 'sh', '-c', 'busybox ip -o -4 addr show eth0; hostname; tail -n1 /etc/hosts']);
    assert.equal(ran.status, 0, ran.stderr);
    const [addr = '', hostname = '', hostsLine = ''] = ran.stdout.trim().split('\n');
    const ip = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(addr)?.[1] ?? '';
    const [bridge] = JSON.parse(await kilnOk(['network', 'inspect', 'bridge'])) as [{ IPAM: { Config: [{ Subnet: string }] } }];
    assert.ok(inSubnet(ip, bridge.IPAM.Config[0].Subnet), `${ip} is in ${bridge.IPAM.Config[0].Subnet}`);
    assert.match(hostname, /^[0-9a-f]{12}$/);
    assert.equal(hostsLine, `${ip}\t${hostname}`);
  });

  it('gives --network none only lo, and refuses an unknown network and -p without a network', async () => {
    const none = await user.kiln(['run', '--rm', '--network', 'none', image, 'ls', '/sys/class/net']);
    assert.deepEqual([none.status, none.stdout], [0, 'lo\n']);
    const unknown = await user.kiln(['run', '--rm', '--network', 'nowhere', image, 'true']);
    assert.equal(unknown.status, 125);
    assert.match(unknown.stderr, /network nowhere not found/);
    for (const mode of ['none', 'host']) {
      const publish = await user.kiln(['run', '--rm', '--network', mode, '-p', '8080:80', image, 'true']);
      assert.equal(publish.status, 125);
      assert.match(publish.stderr, /conflicting options: port publishing and the container type network mode/);
    }
    assert.deepEqual(await settledEntries(join(user.root, 'containers')), []);
  });

  it('lets containers on a user network reach each other by name, and releases them', async () => {
    await kilnOk(['network', 'create', '--subnet', userSubnet, userNet]);
    const srv = await runDetached(['--name', 'srv', '--network', userNet, image, 'busybox', 'httpd', '-f', '-p', '8080', '-h', '/etc']);
    const fetched = await user.kiln(['run', '--rm', '--network', userNet, image, 'sh', '-c',
      'for i in $(seq 40); do wget -qO- http://srv:8080/hostname && exit 0; sleep 0.1; done; exit 1']);
    assert.deepEqual([fetched.status, fetched.stdout], [0, `${srv.slice(0, 12)}\n`], fetched.stderr);

    const peer = await runDetached(['--name', 'peer', '--network', userNet, image, 'sleep', '60']);
    const srvHosts = join(user.root, 'containers', srv, 'hosts');
    assert.match(await readFile(srvHosts, 'utf8'), new RegExp(`\\t${peer.slice(0, 12)} peer\\n`));
    const busy = await user.kiln(['network', 'rm', userNet]);
    assert.notEqual(busy.status, 0);
    assert.match(busy.stderr, /has active endpoints/);

    await kilnOk(['rm', '-f', 'peer']);
    assert.doesNotMatch(await readFile(srvHosts, 'utf8'), new RegExp(peer.slice(0, 12)));
    await assert.rejects(readFile(endpointPath(userNet, peer)), { code: 'ENOENT' });
    assert.ok(!netnsNames().includes(`kiln-${peer}`));
    await kilnOk(['rm', '-f', 'srv']);
    await assert.rejects(readFile(endpointPath(userNet, srv)), { code: 'ENOENT' });
    await kilnOk(['network', 'rm', userNet]);
  });

  it('publishes a port on 127.0.0.1, shown by ps and inspect, until rm -f releases it', async () => {
    const port = await freePort();
    const web = await runDetached(['--name', 'web', '-p', `127.0.0.1:${port}:8080`, image, 'busybox', 'httpd', '-f', '-p', '8080', '-h', '/etc']);
    assert.equal(await httpGetEventually(port, '/hostname'), `${web.slice(0, 12)}\n`);
    assert.match(await kilnOk(['ps']), new RegExp(`127\\.0\\.0\\.1:${port}->8080/tcp\\s+web`));
    const info = await inspect('web');
    assert.match(info.NetworkSettings.Networks['bridge']?.IPAddress ?? '', /^\d+\.\d+\.\d+\.\d+$/);
    assert.deepEqual(info.NetworkSettings.Ports, { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] });

    await kilnOk(['rm', '-f', 'web']);
    await assert.rejects(readFile(endpointPath('bridge', web)), { code: 'ENOENT' });
    assert.ok(!netnsNames().includes(`kiln-${web}`));
  });

  it('refuses a host port in use, leaving no container, endpoint, namespace or mount', async () => {
    const listener = await listen();
    const address = listener.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const netnsBefore = new Set(netnsNames());
    try {
      const ran = await user.kiln(['run', '--rm', '--name', 'clash', '-p', `127.0.0.1:${port}:80`, image, 'true']);
      assert.equal(ran.status, 125);
      assert.match(ran.stderr, new RegExp(`Bind for 127\\.0\\.0\\.1:${port}/tcp failed: port ${port} is already allocated`));
    } finally {
      listener.close();
    }
    assert.deepEqual(await settledEntries(join(user.root, 'containers')), []);
    assert.deepEqual(await endpointFiles(), []);
    // The run fails before a container exists, so no namespace kiln-<id> can have been made for it:
    // every namespace that appeared meanwhile belongs to a run with an endpoint record elsewhere.
    const appeared = netnsNames().filter((name) => name.startsWith('kiln-') && !netnsBefore.has(name));
    for (const name of appeared) assert.ok(!(await endpointFiles()).includes(`${name.slice('kiln-'.length)}.json`), name);
    assert.ok(!(await readFile('/proc/self/mountinfo', 'utf8')).includes(user.root));
  });

  it('releases the endpoint of a detached container whose supervisor, the daemon, was killed with -9', async () => {
    const id = await runDetached(['--name', 'orphan', image, 'sleep', '60']);
    const supervisor = (await inspect('orphan')).State.Pid;
    assert.ok(supervisor > 0);
    await readFile(endpointPath('bridge', id));
    process.kill(supervisor, 'SIGKILL');
    await delay(100);
    // The next command starts a daemon, whose recovery kills the orphan and releases its endpoint.
    assert.match(await kilnOk(['ps', '-a']), /Exited \(137\).*orphan/);
    await assert.rejects(readFile(endpointPath('bridge', id)), { code: 'ENOENT' });
    assert.ok(!netnsNames().includes(`kiln-${id}`));
    await kilnOk(['rm', 'orphan']);
  });
});
