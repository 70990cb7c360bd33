// The container side of networking (src/daemon/containers/network.ts): what --network and -p
// resolve to before a container is recorded, and the hosts-file upkeep between peers on a
// user network, attached with the real CNI plugins as root. Every attachment is released and
// the network removed in the after hook.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { attachContainer, releaseContainerNetwork, resolveRunNetwork } from '../../../src/daemon/containers/network.js';
import type { ContainerRecord } from '../../../src/daemon/containers/record.js';
import { NetworkStore } from '../../../src/network/index.js';
import { kilnRejection } from '../../helpers/errors.js';
import { tempDir } from '../../helpers/tmp.js';

const root = await tempDir('ctrnet');
const asRoot = process.getuid?.() === 0;

function record(name: string, network: string): ContainerRecord {
  return {
    id: randomBytes(32).toString('hex'), name, image: 'busybox:1', imageId: 'sha256:00', created: new Date().toISOString(),
    config: { entrypoint: [], cmd: ['true'], env: [], workingDir: '/', user: '', network, autoRemove: false, openStdin: false },
    state: { status: 'running' },
  } as ContainerRecord;
}

describe('resolveRunNetwork', () => {
  it('refuses -p without a network of its own, and an unknown network', async () => {
    for (const mode of ['none', 'host']) {
      const error = await kilnRejection(resolveRunNetwork(root, mode, ['8080:80']));
      assert.equal(error.code, 'INVALID_ARGUMENT');
      assert.equal(error.message, 'conflicting options: port publishing and the container type network mode');
    }
    assert.deepEqual(await resolveRunNetwork(root, 'host', []), { network: 'host', ports: [] });
    const missing = await kilnRejection(resolveRunNetwork(root, 'nowhere', []));
    assert.equal(missing.code, 'NOT_FOUND');
    assert.match(missing.message, /network nowhere not found/);
    assert.equal((await kilnRejection(resolveRunNetwork(root, 'bridge', ['80:x']))).code, 'INVALID_ARGUMENT');
  });

  it('creates the default network on first use and keeps a user network by name', async () => {
    const bridge = await resolveRunNetwork(root, 'bridge', ['127.0.0.1::80/udp']);
    assert.deepEqual(bridge, { network: 'bridge', ports: [{ hostIP: '127.0.0.1', hostPort: 0, containerPort: 80, protocol: 'udp' }] });
    const created = await new NetworkStore(root).create({ name: 'byid', subnet: '10.235.1.0/24' });
    assert.deepEqual(await resolveRunNetwork(root, created.id.slice(0, 12), []), { network: 'byid', ports: [] });
  });
});

describe('hosts files on a user network', { skip: asRoot ? false : 'needs root for network namespaces' }, () => {
  const network = `pair${process.pid}`;
  const attached: ContainerRecord[] = [];

  after(async () => {
    for (const r of attached) await releaseContainerNetwork(root, r).catch(() => undefined);
    await new NetworkStore(root).remove(network).catch(() => undefined);
  });

  it('tells running peers a newcomer\'s name and takes it back on release, in place', async () => {
    await new NetworkStore(root).create({ name: network, subnet: `10.235.${2 + (process.pid % 200)}.0/24` });
    const first = record('first', network);
    const second = record('second', network);
    attached.push(first, second);
    const firstNet = await attachContainer(root, first);
    assert.equal(firstNet.mode.mode, 'netns');
    assert.deepEqual(firstNet.extraHosts, []);
    const firstHosts = join(root, 'containers', first.id, 'hosts');
    await mkdir(join(root, 'containers', first.id), { recursive: true });
    await writeFile(firstHosts, `${firstNet.address}\t${first.id.slice(0, 12)}\n`);
    const inode = (await stat(firstHosts)).ino;

    const secondNet = await attachContainer(root, second);
    assert.deepEqual(secondNet.extraHosts, [{ ip: firstNet.address, host: `${first.id.slice(0, 12)} first` }]);
    assert.equal(await readFile(firstHosts, 'utf8'), `${firstNet.address}\t${first.id.slice(0, 12)}\n${secondNet.address}\t${second.id.slice(0, 12)} second\n`);

    await releaseContainerNetwork(root, second);
    await releaseContainerNetwork(root, second);
    assert.equal(await readFile(firstHosts, 'utf8'), `${firstNet.address}\t${first.id.slice(0, 12)}\n`);
    assert.equal((await stat(firstHosts)).ino, inode, 'rewritten in place, as the bind mount needs');
  });
});
