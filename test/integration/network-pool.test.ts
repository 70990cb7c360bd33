// Runs on the default bridge through an engine that carries an endpoint pool, as the daemon
// holds one: real runc, real CNI plugins, the busybox fixture. A run takes a namespace attached
// ahead and works in it; its release happens after the run returns; more runs at once than
// the pool holds attach directly and work too; closing the pool leaves nothing.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { startEndpointPool } from '../../src/daemon/containers/network.js';
import { runContainer } from '../../src/daemon/containers/run.js';
import { openEngine, type ImageEngine } from '../../src/daemon/images/engine.js';
import { NetworkStore } from '../../src/network/store.js';
import { canRunContainers, containerUser } from '../helpers/kiln-env.js';

const user = await containerUser('netpool');
const netnsNames = (): string[] => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n !== '');
const files = (dir: string): Promise<string[]> => readdir(dir).catch(() => [] as string[]);
const poolRecords = (): Promise<string[]> => files(join(user.root, 'network', 'pool'));
const endpointRecords = (): Promise<string[]> => files(join(user.root, 'network', 'endpoints', 'bridge'));

/** A run of `sh -c SCRIPT` on the default bridge with --rm; its exit code and stdout. */
async function run(engine: ImageEngine, script: string): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => ((stdout += chunk.toString()), done()) });
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  const code = await runContainer(engine, { image: user.image, args: ['sh', '-c', script], autoRemove: true }, { stdout: sink, stderr: discard });
  return { code, stdout };
}

describe('runs with an endpoint pool', { skip: canRunContainers ? false : 'needs root for runc and network namespaces' }, () => {
  const before = new Set(netnsNames());
  let engine: ImageEngine | undefined;
  /** Every namespace a run or the pool used, for the check that none is left. */
  const seen = new Set<string>();
  const remember = async (): Promise<void> => {
    for (const name of await poolRecords()) seen.add(`kiln-${name.replace(/\.json$/, '')}`);
  };

  after(async () => {
    await remember();
    await engine?.endpointPool?.close();
    await engine?.close();
    const left = netnsNames().filter((name) => !before.has(name) && seen.has(name));
    assert.deepEqual(left, [], 'no namespace of these runs is left');
    assert.deepEqual(await endpointRecords(), []);
    assert.deepEqual(await poolRecords(), []);
    assert.equal(await user.runcList(), '');
  });

  it('runs in a pooled namespace: an address on kiln0, the gateway reachable', async () => {
    engine = await openEngine({ root: user.root });
    const pool = await startEndpointPool(user.root);
    engine.endpointPool = pool;
    await pool.idle();
    assert.equal(pool.available, 2);
    await remember();
    const pooledAddresses = await Promise.all((await poolRecords()).map(async (name) =>
      (JSON.parse(await readFile(join(user.root, 'network', 'pool', name), 'utf8')) as { ip: string }).ip));
    const network = await new NetworkStore(user.root).get('bridge');
    const { code, stdout } = await run(engine, `busybox ip -4 addr show eth0 && busybox ping -c1 -W2 ${network.gateway} >/dev/null && echo reached`);
    assert.equal(code, 0, stdout);
    const address = /inet (\d+\.\d+\.\d+\.\d+)\/16/.exec(stdout)?.[1];
    assert.ok(address !== undefined, stdout);
    assert.match(stdout, /reached/);
    assert.ok(pooledAddresses.includes(address), `${address} is one of the pooled ${pooledAddresses.join(', ')}`);

    await pool.idle();
    await remember();
    assert.deepEqual(await endpointRecords(), [], 'the release ran in the background and is done');
    assert.equal(pool.available, 2, 'the pool is full again');
  });

  it('serves more runs at once than it holds: the rest attach directly', async () => {
    assert.ok(engine?.endpointPool !== undefined);
    const pool = engine.endpointPool;
    const results = await Promise.all(Array.from({ length: 5 }, () => run(engine as ImageEngine, 'busybox ip -4 addr show eth0')));
    const addresses = results.map(({ code, stdout }) => {
      assert.equal(code, 0, stdout);
      return /inet (\d+\.\d+\.\d+\.\d+)\/16/.exec(stdout)?.[1];
    });
    assert.equal(new Set(addresses).size, 5, `five distinct addresses: ${addresses.join(' ')}`);
    await pool.idle();
    await remember();
    assert.deepEqual(await endpointRecords(), []);
  });

  it('closes: every pooled namespace and record goes', async () => {
    const pool = engine?.endpointPool;
    assert.ok(pool !== undefined);
    await remember();
    const pooled = [...seen].filter((name) => netnsNames().includes(name));
    assert.equal(pooled.length, 2);
    await pool.close();
    assert.ok(pooled.every((name) => !netnsNames().includes(name)));
    assert.deepEqual(await poolRecords(), []);
  });
});
