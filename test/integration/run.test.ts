// `kiln run`, `ps` and `rm` against the busybox fixture loaded into a store of its own, each
// run a real runc container. After every test nothing may be left: no mount under the root, no
// runc state, no snapshot of a --rm container.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { canRunContainers, containerUser } from '../helpers/kiln-env.js';
import { tempDir } from '../helpers/tmp.js';
import { settledEntries } from '../helpers/store-entries.js';

const user = await containerUser('run');
const { image, runcList } = user;
const work = await tempDir('run');

/** Snapshots other than the image's committed layer (and the overlay probe's record). */
async function activeSnapshots(): Promise<string[]> {
  return (await settledEntries(join(user.root, 'snapshots'))).filter((name) => !name.startsWith('l') && name !== 'driver.json');
}


async function psAll(): Promise<string[]> {
  const ps = await user.kiln(['ps', '-a', '--no-trunc']);
  assert.equal(ps.status, 0, ps.stderr);
  return ps.stdout.split('\n').slice(1).filter((line) => line !== '');
}

describe('kiln run / ps / rm', { skip: canRunContainers ? false : 'needs root for mounts and runc' }, () => {
  afterEach(async () => {
    const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
    assert.ok(!mountinfo.includes(user.root), 'a mount is left under the root');
    assert.equal(await runcList(), '');
    // Containers a test kept on purpose are removed by the test itself.
    assert.deepEqual(await psAll(), []);
    assert.deepEqual(await activeSnapshots(), []);
    assert.deepEqual(await settledEntries(join(user.root, 'containers')), []);
  });

  it('streams stdout and stderr apart and exits with the container\'s code', async () => {
    const ran = await user.kiln(['run', '--rm', image, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.deepEqual([ran.status, ran.stdout, ran.stderr], [3, 'out\n', 'err\n']);
  });

  it('sets env (-e, --env-file), the working directory and the user', async () => {
    const envFile = join(work, 'env');
    await writeFile(envFile, '# comment\nFROM_FILE=file\nBOTH=file\n');
    const ran = await user.kiln([
      'run', '--rm', '-e', 'BOTH=flag', '-e', 'FROM_HOST', '--env-file', envFile, '-w', '/etc', '-u', 'app', image,
      'sh', '-c', 'echo "$FROM_FILE $BOTH $FROM_HOST $(pwd) $(id -u) $(id -g)"',
    ], { env: { FROM_HOST: 'host' } });
    assert.equal(ran.status, 0, ran.stderr);
    assert.equal(ran.stdout, 'file flag host /etc 1000 1000\n');
  });

  it('attaches stdin only with -i', async () => {
    const attached = await user.kiln(['run', '--rm', '-i', image, 'cat'], { input: 'piped\n' });
    assert.deepEqual([attached.status, attached.stdout], [0, 'piped\n']);
    const detached = await user.kiln(['run', '--rm', image, 'cat'], { input: 'piped\n' });
    assert.deepEqual([detached.status, detached.stdout], [0, '']);
  });

  it('gives --network none only a loopback interface', async () => {
    const ran = await user.kiln(['run', '--rm', '--network', 'none', image, 'ls', '/sys/class/net']);
    assert.deepEqual([ran.status, ran.stdout], [0, 'lo\n']);
  });

  it('keeps a container without --rm for ps -a until rm removes it with its snapshot', async () => {
    const ran = await user.kiln(['run', image, 'sh', '-c', 'echo kept']);
    assert.deepEqual([ran.status, ran.stdout], [0, 'kept\n']);
    const ps = await user.kiln(['ps', '-a']);
    const [header, row, extra] = ps.stdout.split('\n');
    assert.match(header ?? '', /^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$/);
    assert.match(row ?? '', /^[a-f0-9]{12} +busybox:1 +"sh -c echo kept" +.* ago +Exited \(0\) .* ago +[a-z]+_[a-z]+\d?$/);
    assert.equal(extra, '');
    assert.equal((await user.kiln(['ps'])).stdout.split('\n')[1], '', 'ps without -a shows only running containers');
    const [id] = (await user.kiln(['ps', '-aq', '--no-trunc'])).stdout.split('\n');
    assert.match(id ?? '', /^[a-f0-9]{64}$/);
    assert.equal((await activeSnapshots()).length, 1);
    const removed = await user.kiln(['rm', (id ?? '').slice(0, 8)]);
    assert.deepEqual([removed.status, removed.stdout], [0, `${(id ?? '').slice(0, 8)}\n`]);
  });

  it('refuses a --name in use and leaves nothing of the refused container', async () => {
    assert.equal((await user.kiln(['run', '--name', 'web', image, 'true'])).status, 0);
    const again = await user.kiln(['run', '--rm', '--name', 'web', image, 'true']);
    assert.equal(again.status, 125);
    assert.match(again.stderr, /Conflict\. The container name "\/web" is already in use by container "[a-f0-9]{64}"/);
    assert.equal((await psAll()).length, 1);
    assert.equal((await user.kiln(['rm', 'web'])).status, 0);
  });

  it('exits 125 with a clear error for an image that is nowhere, and 127 for a missing command', async () => {
    const missing = await user.kiln(['run', '--rm', 'localhost:1/nope:1', 'true']);
    assert.equal(missing.status, 125);
    assert.match(missing.stderr, /^Unable to find image 'localhost:1\/nope:1' locally\n/);
    assert.match(missing.stderr, /registry localhost:1 unreachable/);
    const notFound = await user.kiln(['run', '--rm', image, 'no-such-command']);
    assert.equal(notFound.status, 127);
    assert.match(notFound.stderr, /"no-such-command": executable file not found/);
  });

  it('refuses to rm a running container without -f, and kills it with -f', async () => {
    const run = user.kiln(['run', '--name', 'sleeper', image, 'sh', '-c', 'echo started; exec sleep 30'], {
      onSpawn: (proc) => proc.stdout?.once('data', () => void checkRunning()),
    });
    let checked: Promise<void> | undefined;
    const checkRunning = (): void => {
      checked = (async () => {
        const ps = await user.kiln(['ps']);
        assert.match(ps.stdout.split('\n')[1] ?? '', /Up .* sleeper$/);
        const refused = await user.kiln(['rm', 'sleeper']);
        assert.equal(refused.status, 1);
        assert.match(refused.stderr, /container is running/);
        assert.equal((await user.kiln(['rm', '-f', 'sleeper'])).status, 0);
      })();
    };
    const ended = await run;
    await checked;
    assert.equal(ended.status, 137);
  });

  it('forwards SIGTERM to the container and exits with its code', async () => {
    const ended = await user.kiln(['run', '--rm', image, 'sh', '-c', 'echo started; exec sleep 30'], {
      onSpawn: (proc) => proc.stdout?.once('data', () => proc.kill('SIGTERM')),
    });
    assert.deepEqual([ended.status, ended.stdout], [137, 'started\n']);
  });

  it('reports a run whose supervisor died as Exited (255), and keeps the correction', async () => {
    assert.equal((await user.kiln(['run', '--name', 'lost', image, 'true'])).status, 0);
    const [id] = (await user.kiln(['ps', '-aq', '--no-trunc'])).stdout.split('\n');
    const path = join(user.root, 'containers', id ?? '', 'container.json');
    const dead = spawn('true');
    await once(dead, 'close');
    const record = JSON.parse(await readFile(path, 'utf8')) as { state: Record<string, unknown> };
    record.state = { status: 'running', pid: dead.pid, startedAt: new Date().toISOString() };
    await writeFile(path, JSON.stringify(record));
    assert.match((await user.kiln(['ps', '-a'])).stdout, /Exited \(255\) Less than a second ago +lost/);
    const saved = JSON.parse(await readFile(path, 'utf8')) as { state: { status: string; exitCode: number; pid?: number } };
    assert.deepEqual([saved.state.status, saved.state.exitCode, saved.state.pid], ['exited', 255, undefined]);
    assert.equal((await user.kiln(['rm', 'lost'])).status, 0);
  });
});
