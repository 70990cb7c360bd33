// `kiln run -v / --mount` and `kiln volume ...` against the busybox fixture, each run a real
// runc container. After every test nothing may be left: no mount under the root, no runc
// state, no container, and no volume (tests remove the ones they keep on purpose).
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { AsyncCliResult } from '../helpers/cli.js';
import { canRunContainers, containerUser } from '../helpers/kiln-env.js';
import { tempDir } from '../helpers/tmp.js';
import { settledEntries } from '../helpers/store-entries.js';

const user = await containerUser('volumes');
const { image, runcList } = user;

async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}


async function lines(args: string[]): Promise<string[]> {
  const result = await user.kiln(args);
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.split('\n').filter((line) => line !== '');
}

async function run(args: string[]): Promise<AsyncCliResult> {
  return user.kiln(['run', ...args]);
}

describe('kiln run -v / --mount and kiln volume', { skip: canRunContainers ? false : 'needs root for mounts and runc' }, () => {
  afterEach(async () => {
    const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
    assert.ok(!mountinfo.includes(user.root), 'a mount is left under the root');
    assert.equal(await runcList(), '');
    assert.deepEqual((await lines(['ps', '-a'])).slice(1), []);
    assert.deepEqual(await settledEntries(join(user.root, 'containers')), []);
    assert.deepEqual(await lines(['volume', 'ls', '-q']), []);
  });

  it('keeps a named volume\'s data from one container to the next, and lists and inspects it', async () => {
    const wrote = await run(['--rm', '-v', 'data:/data', image, 'sh', '-c', 'echo kept > /data/file']);
    assert.equal(wrote.status, 0, wrote.stderr);
    const read = await run(['--rm', '--mount', 'type=volume,source=data,target=/data', image, 'cat', '/data/file']);
    assert.deepEqual([read.status, read.stdout], [0, 'kept\n']);
    assert.deepEqual(await lines(['volume', 'ls']), ['DRIVER   VOLUME NAME', 'local    data']);
    const inspected = JSON.parse((await user.kiln(['volume', 'inspect', 'data'])).stdout) as Record<string, unknown>[];
    assert.equal(inspected.length, 1);
    const [volume] = inspected;
    assert.match(String(volume?.CreatedAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual({ ...volume, CreatedAt: undefined }, {
      CreatedAt: undefined, Driver: 'local', Labels: {}, Mountpoint: join(user.root, 'volumes', 'data', '_data'),
      Name: 'data', Options: {}, Scope: 'local',
    });
    assert.equal(await readFile(join(user.root, 'volumes', 'data', '_data', 'file'), 'utf8'), 'kept\n');
    assert.deepEqual(await lines(['volume', 'rm', 'data']), ['data']);
  });

  it('refuses writes to a read-only volume (:ro and readonly)', async () => {
    for (const flag of [['-v', 'data:/data:ro'], ['--mount', 'type=volume,src=data,dst=/data,readonly']]) {
      const ran = await run(['--rm', ...flag, image, 'sh', '-c', 'echo x > /data/file']);
      assert.notEqual(ran.status, 0);
      assert.match(ran.stderr, /Read-only file system/);
    }
    assert.deepEqual(await entries(join(user.root, 'volumes', 'data', '_data')), []);
    assert.deepEqual(await lines(['volume', 'rm', 'data']), ['data']);
  });

  it('binds a host directory both ways, read-only on request, creating a missing one for -v', async () => {
    const host = await tempDir('volumes-bind');
    await writeFile(join(host, 'in'), 'from host\n');
    const ran = await run(['--rm', '-v', `${host}:/host`, image, 'sh', '-c', 'cat /host/in; echo from container > /host/out']);
    assert.deepEqual([ran.status, ran.stdout], [0, 'from host\n'], ran.stderr);
    assert.equal(await readFile(join(host, 'out'), 'utf8'), 'from container\n');
    const readonly = await run(['--rm', '--mount', `type=bind,source=${host},target=/host,ro`, image, 'sh', '-c', 'echo x > /host/in']);
    assert.notEqual(readonly.status, 0);
    assert.match(readonly.stderr, /Read-only file system/);
    assert.equal(await readFile(join(host, 'in'), 'utf8'), 'from host\n');
    const created = await run(['--rm', '-v', `${host}/new/dir:/new`, image, 'ls', '-a', '/new']);
    assert.equal(created.status, 0, created.stderr);
    assert.ok((await stat(join(host, 'new', 'dir'))).isDirectory());
  });

  it('removes an anonymous volume with its --rm container, and keeps it otherwise until prune', async () => {
    const gone = await run(['--rm', '-v', '/anon', image, 'sh', '-c', 'echo x > /anon/file']);
    assert.equal(gone.status, 0, gone.stderr);
    assert.deepEqual(await lines(['volume', 'ls', '-q']), []);
    assert.equal((await run(['--name', 'keeper', '--mount', 'type=volume,target=/anon', image, 'true'])).status, 0);
    const [name] = await lines(['volume', 'ls', '-q']);
    assert.match(name ?? '', /^[a-f0-9]{64}$/);
    assert.deepEqual(await lines(['rm', 'keeper']), ['keeper']);
    assert.deepEqual(await lines(['volume', 'ls', '-q']), [name], 'rm without -v keeps the volume, as docker does');
    assert.deepEqual(await lines(['volume', 'prune', '-f']), ['Deleted Volumes:', name, 'Total reclaimed space: 0B']);
  });

  it('fills a new volume with the image\'s files at its mount point, /etc files still on top', async () => {
    const ran = await run(['--rm', '-v', 'etc:/etc', image, 'sh', '-c', 'grep ^root: /etc/passwd; grep -c localhost /etc/hosts']);
    assert.deepEqual([ran.status, ran.stdout], [0, 'root:x:0:0:root:/root:/bin/sh\n2\n'], ran.stderr);
    assert.ok((await entries(join(user.root, 'volumes', 'etc', '_data'))).includes('group'));
    const noCopy = await run(['--rm', '-v', 'empty:/etc:nocopy', image, 'ls', '/etc']);
    assert.equal(noCopy.status, 0, noCopy.stderr);
    // Only the mount points runc made for the /etc files, none of the image's files.
    assert.deepEqual(await entries(join(user.root, 'volumes', 'empty', '_data')), ['hostname', 'hosts', 'resolv.conf']);
    assert.deepEqual(await lines(['volume', 'rm', 'etc', 'empty']), ['etc', 'empty']);
  });

  it('refuses bad specs with exit 125, naming the flag, and leaves nothing behind', async () => {
    const cases: [string[], RegExp][] = [
      [['-v', 'data:relative'], /--volume: .*'data:relative'.*must be absolute/],
      [['-v', ':/x'], /--volume: .*':\/x'/],
      [['-v', 'data:/x:bogus'], /--volume: .*invalid mode: bogus/],
      [['-v', '../up:/x'], /--volume: .*invalid characters for a local volume name/],
      [['-v', 'one:/x', '-v', 'two:/x/'], /--volume: .*Duplicate mount point: \/x/],
      [['--mount', 'type=bind,source=/no/such/kiln/dir,target=/x'], /--mount: .*bind source path does not exist: \/no\/such\/kiln\/dir/],
      [['--mount', 'type=volume,target=/x,color=red'], /--mount: .*unexpected key 'color'/],
      [['--mount', 'type=tmpfs,target=/x'], /--mount: .*mount type "tmpfs" is not supported/],
      [['--mount', 'source=data'], /--mount: .*target is required/],
    ];
    for (const [flags, message] of cases) {
      const ran = await run(['--rm', ...flags, image, 'true']);
      assert.equal(ran.status, 125, `${flags.join(' ')}: ${ran.stderr}`);
      assert.match(ran.stderr, message);
      assert.deepEqual(await settledEntries(join(user.root, 'containers')), []);
      assert.deepEqual(await entries(join(user.root, 'volumes')), []);
    }
  });

  it('refuses to remove a volume a stopped container uses, until the container is gone', async () => {
    assert.equal((await run(['--name', 'user', '-v', 'used:/d', image, 'true'])).status, 0);
    const [id] = await lines(['ps', '-aq', '--no-trunc']);
    const refused = await user.kiln(['volume', 'rm', 'used']);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, new RegExp(`remove used: volume is in use - \\[${id ?? ''}\\]`));
    assert.equal((await user.kiln(['volume', 'prune', '-f', '-a'])).stdout, 'Total reclaimed space: 0B\n');
    assert.deepEqual(await lines(['rm', 'user']), ['user']);
    assert.deepEqual(await lines(['volume', 'rm', 'used']), ['used']);
  });

  it('creates, inspects and removes volumes by hand', async () => {
    assert.deepEqual(await lines(['volume', 'create', '--label', 'tier=db', 'db']), ['db']);
    assert.deepEqual(await lines(['volume', 'create', 'db']), ['db'], 'creating an existing volume returns it');
    const [random] = await lines(['volume', 'create']);
    assert.match(random ?? '', /^[a-f0-9]{64}$/);
    const both = await user.kiln(['volume', 'inspect', 'db', 'missing']);
    assert.equal(both.status, 1);
    assert.match(both.stderr, /No such volume: missing/);
    const [db] = JSON.parse(both.stdout) as { Name: string; Labels: Record<string, string> }[];
    assert.deepEqual([db?.Name, db?.Labels], ['db', { tier: 'db' }]);
    const invalid = await user.kiln(['volume', 'create', 'bad/name']);
    assert.equal(invalid.status, 1);
    assert.match(invalid.stderr, /invalid characters for a local volume name/);
    assert.equal((await user.kiln(['volume', 'rm', 'missing'])).status, 1);
    assert.deepEqual(await lines(['volume', 'rm', '-f', 'missing', 'db']), ['missing', 'db']);
    const declined = await user.kiln(['volume', 'prune'], { input: 'n\n' });
    assert.deepEqual([declined.status, declined.stdout], [0, 'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ']);
    assert.deepEqual(await lines(['volume', 'prune', '-f']), ['Deleted Volumes:', random ?? '', 'Total reclaimed space: 0B']);
  });
});
