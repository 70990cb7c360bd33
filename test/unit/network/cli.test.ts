import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kilnUser } from '../../helpers/kiln-env.js';

describe('kiln network', () => {
  it('creates, lists, inspects and removes a network with docker\'s output', async () => {
    const user = await kilnUser('netcli');
    const created = await user.kiln(['network', 'create', '--subnet', '10.232.0.0/24', '--label', 'env=test', 'web']);
    assert.equal(created.status, 0, created.stderr);
    const id = created.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);

    const ls = await user.kiln(['network', 'ls']);
    assert.equal(ls.status, 0, ls.stderr);
    const lines = ls.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^NETWORK ID\s{3,}NAME\s{3,}DRIVER\s{3,}SCOPE$/);
    assert.ok(lines.some((l) => /^[0-9a-f]{12}\s+bridge\s+bridge\s+local$/.test(l)), ls.stdout);
    assert.ok(lines.includes(`${id.slice(0, 12)}   web      bridge   local`), ls.stdout);
    const quiet = await user.kiln(['network', 'ls', '-q', '--no-trunc']);
    assert.ok(quiet.stdout.split('\n').includes(id));

    const inspect = await user.kiln(['network', 'inspect', 'web']);
    assert.equal(inspect.status, 0, inspect.stderr);
    const [view] = JSON.parse(inspect.stdout) as Record<string, unknown>[];
    assert.deepEqual(
      { Name: view?.['Name'], Id: view?.['Id'], Driver: view?.['Driver'], IPAM: view?.['IPAM'], Labels: view?.['Labels'], Containers: view?.['Containers'] },
      { Name: 'web', Id: id, Driver: 'bridge', IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: '10.232.0.0/24', Gateway: '10.232.0.1' }] }, Labels: { env: 'test' }, Containers: {} },
    );

    const rm = await user.kiln(['network', 'rm', id.slice(0, 8)]);
    assert.equal(rm.status, 0, rm.stderr);
    assert.equal(rm.stdout, `${id.slice(0, 8)}\n`);
    assert.doesNotMatch((await user.kiln(['network', 'ls'])).stdout, /\bweb\b/);
  });

  it('reports bad input and refused removals on stderr', async () => {
    const user = await kilnUser('netcli');
    const bad = await user.kiln(['network', 'create', '--subnet', '10.0.0.1/8', 'x']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /invalid subnet "10\.0\.0\.1\/8": host bits are set/);
    const driver = await user.kiln(['network', 'create', '-d', 'overlay', 'x']);
    assert.match(driver.stderr, /--driver: unsupported driver "overlay"/);

    await user.kiln(['network', 'ls']);
    const rm = await user.kiln(['network', 'rm', 'bridge', 'missing']);
    assert.equal(rm.status, 1);
    assert.match(rm.stderr, /bridge is a pre-defined network and cannot be removed/);
    assert.match(rm.stderr, /network missing not found/);
    assert.equal(rm.stdout, '');
  });
});
