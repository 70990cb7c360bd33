// The kiln CLI's container, volume and network commands run through kilnd's native API
// (/kiln/v1/containers..., /volumes..., /networks...): with --host on a daemon of the test's own,
// every command shows up as a request in the daemon's log and no other daemon is started for the
// root. A `kiln run -d` container is the daemon's: docker's CLI sees it, follows its logs and
// attaches to it. `logs -f` prints lines while the container still runs. Raw requests check
// that bad input gets a JSON 4xx and the daemon goes on serving.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { AsyncCliOptions } from '../helpers/cli.js';
import { canRunContainers } from '../helpers/kiln-env.js';
import { docker, dockerClients, type JsonAnswer, kilnVia, requestDaemon, requestsOf, startKilnd } from '../helpers/kilnd.js';

// Started at the module's top level: a describe-level before hook ran after the tests here.
const started = canRunContainers ? await startKilnd('cli-daemon-containers') : undefined;
after(async () => started?.stop());
const skip = canRunContainers ? false : 'kilnd needs root for its network pool';
const image = 'busybox:1';

/** `kiln --root ROOT --host unix://SOCKET ARGS` against the test's daemon. */
const kiln = (args: string[], options: AsyncCliOptions = {}) => kilnVia(started!, args, options);

async function ok(args: string[]): Promise<string> {
  const result = await kiln(args);
  assert.equal(result.status, 0, `kiln ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

const requestsSince = (from: number): string[] => requestsOf(started!, from);

const raw = (method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<JsonAnswer> => requestDaemon(started!, method, path, body, headers);

describe('kiln container, volume and network commands through kilnd', { skip }, () => {
  it('runs -d, lists, logs, stops, kills, waits, inspects and removes through the daemon of --host', async () => {
    const kilnd = started!;
    const from = kilnd.log().length;
    const id = (await ok(['run', '-d', '--name', 'served', image, 'sh', '-c', 'echo ready; trap "exit 9" TERM; while true; do sleep 0.1; done'])).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.match((await ok(['ps'])).split('\n')[1] ?? '', new RegExp(`^${id.slice(0, 12)} +busybox:1 .* Up .* served$`));
    for (let tries = 0; tries < 100 && (await ok(['logs', 'served'])) !== 'ready\n'; tries++) await delay(50);
    assert.equal(await ok(['logs', '--tail', '1', 'served']), 'ready\n');
    const [inspected] = JSON.parse(await ok(['container', 'inspect', 'served'])) as { Id: string; State: { Pid: number } }[];
    assert.deepEqual([inspected?.Id, inspected?.State.Pid], [id, kilnd.daemon.pid], 'the daemon supervises the container');
    assert.equal(await ok(['stop', 'served']), 'served\n');
    assert.equal(await ok(['wait', 'served']), '9\n');
    const refused = await kiln(['kill', 'served']);
    assert.deepEqual([refused.status, /is not running/.test(refused.stderr)], [1, true]);
    assert.equal(await ok(['rm', 'served']), 'served\n');
    assert.equal(await ok(['ps', '-aq']), '');

    assert.deepEqual(requestsSince(from).filter((line) => !line.startsWith('GET /kiln/v1/containers/served/logs')), [
      'POST /kiln/v1/containers',
      'GET /kiln/v1/containers',
      'GET /kiln/v1/containers/served',
      'POST /kiln/v1/containers/served/stop',
      'POST /kiln/v1/containers/served/wait',
      'POST /kiln/v1/containers/served/kill?signal=SIGKILL',
      'DELETE /kiln/v1/containers/served',
      'GET /kiln/v1/containers?all=true',
    ]);
    // The root's daemon is the test's: the commands started no other.
    assert.equal(Number(await readFile(join(kilnd.root, 'kilnd.pid'), 'utf8')), kilnd.daemon.pid);
  });

  it('prints logs -f lines while the container still runs, until it exits', async () => {
    await ok(['run', '-d', '--name', 'ticker', image, 'sh', '-c', 'echo first; sleep 2; echo second >&2']);
    let firstAt = 0;
    const followed = await kiln(['logs', '-f', '-t', 'ticker'], {
      onSpawn: (child) => child.stdout?.once('data', () => (firstAt = Date.now())),
    });
    const endedAt = Date.now();
    assert.equal(followed.status, 0, followed.stderr);
    assert.match(followed.stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z first\n$/);
    assert.match(followed.stderr, /^\d{4}-\d\d-\d\dT[\d:.]+Z second\n$/);
    assert.ok(firstAt > 0 && endedAt - firstAt >= 1000, `the first line came ${endedAt - firstAt} ms before the end`);
    await ok(['rm', 'ticker']);
  });

  it('lets the docker CLI see, follow and attach to a kiln run -d container', async () => {
    // Debian's docker.io, which CI installs.
    const client = dockerClients.find((each) => each.required);
    assert.ok(client !== undefined);
    const id = (await ok(['run', '-d', '--name', 'shared', image, 'sh', '-c', 'sleep 2; echo from-kiln; sleep 1; exit 3'])).trim();
    const [attached, followed] = await Promise.all([
      docker(started!, client, ['attach', '--no-stdin', 'shared']),
      docker(started!, client, ['logs', '-f', 'shared']),
    ]);
    assert.deepEqual([attached.code, attached.stdout], [3, 'from-kiln\n']);
    assert.deepEqual([followed.code, followed.stdout], [0, 'from-kiln\n']);
    assert.equal((await docker(started!, client, ['ps', '-aq', '--no-trunc'])).stdout, `${id}\n`);
    assert.equal((await docker(started!, client, ['rm', 'shared'])).code, 0);
    assert.equal(await ok(['ps', '-aq']), '');
  });

  it('creates, lists, inspects and removes volumes and networks through the daemon', async () => {
    const from = started!.log().length;
    assert.equal(await ok(['volume', 'create', '--label', 'k=v', 'served-data']), 'served-data\n');
    assert.equal(await ok(['volume', 'ls', '-q']), 'served-data\n');
    const [volume] = JSON.parse(await ok(['volume', 'inspect', 'served-data'])) as { Labels: Record<string, string> }[];
    assert.deepEqual(volume?.Labels, { k: 'v' });
    assert.equal(await ok(['volume', 'rm', 'served-data']), 'served-data\n');
    assert.equal(await ok(['volume', 'prune', '-f']), 'Total reclaimed space: 0B\n');
    const networkId = (await ok(['network', 'create', '--subnet', '10.233.7.0/24', 'served-net'])).trim();
    assert.ok((await ok(['network', 'ls', '-q', '--no-trunc'])).split('\n').includes(networkId));
    const [network] = JSON.parse(await ok(['network', 'inspect', 'served-net'])) as { Id: string }[];
    assert.equal(network?.Id, networkId);
    assert.equal(await ok(['network', 'rm', 'served-net']), 'served-net\n');
    assert.deepEqual(requestsSince(from), [
      'POST /kiln/v1/volumes',
      'GET /kiln/v1/volumes',
      'GET /kiln/v1/volumes/served-data',
      'DELETE /kiln/v1/volumes/served-data',
      'POST /kiln/v1/volumes/prune',
      'POST /kiln/v1/networks',
      'GET /kiln/v1/networks',
      'GET /kiln/v1/networks/served-net',
      'DELETE /kiln/v1/networks/served-net',
    ]);
  });

  it('answers bad input with a JSON 4xx and goes on serving', async () => {
    const cases: [string, string, string | undefined, number][] = [
      ['POST', '/kiln/v1/containers', '{bad', 400],
      ['POST', '/kiln/v1/containers', '{"image":"busybox:1"}', 400],
      ['POST', '/kiln/v1/containers', '{"image":"busybox:1","args":[],"tty":"yes"}', 400],
      ['POST', '/kiln/v1/containers', '{"image":"busybox:1","args":[],"privileged":true}', 400],
      ['GET', '/kiln/v1/containers?all=maybe', undefined, 400],
      ['GET', '/kiln/v1/containers/nosuch', undefined, 404],
      ['GET', '/kiln/v1/containers/nosuch/logs', undefined, 404],
      ['GET', '/kiln/v1/containers/nosuch/logs?tail=many', undefined, 400],
      ['POST', '/kiln/v1/containers/nosuch/stop?t=-1', undefined, 400],
      ['POST', '/kiln/v1/containers/nosuch/wait', undefined, 404],
      ['DELETE', '/kiln/v1/containers/nosuch?force=maybe', undefined, 400],
      ['DELETE', '/kiln/v1/containers/nosuch', undefined, 404],
      ['POST', '/kiln/v1/volumes', '[]', 400],
      ['POST', '/kiln/v1/volumes', '{"name":1}', 400],
      ['POST', '/kiln/v1/volumes', '{"labels":{"a":1}}', 400],
      ['POST', '/kiln/v1/volumes', '{"name":"bad/name"}', 400],
      ['POST', '/kiln/v1/volumes/prune', '{"all":"yes"}', 400],
      ['GET', '/kiln/v1/volumes/nosuch', undefined, 404],
      ['DELETE', '/kiln/v1/volumes/nosuch', undefined, 404],
      ['POST', '/kiln/v1/networks', '{}', 400],
      ['POST', '/kiln/v1/networks', '{"name":"x","internal":"no"}', 400],
      ['POST', '/kiln/v1/networks', '{"name":"x","subnet":"10.0.0.1/8"}', 400],
      ['GET', '/kiln/v1/networks/nosuch', undefined, 404],
      ['DELETE', '/kiln/v1/networks/nosuch', undefined, 404],
    ];
    for (const [method, path, body, status] of cases) {
      const answer = await raw(method, path, body);
      assert.equal(answer.status, status, `${method} ${path} ${body ?? ''}: ${JSON.stringify(answer.json)}`);
      assert.equal(typeof answer.json.message, 'string');
      assert.equal(answer.json.code, status === 404 ? 'NOT_FOUND' : 'INVALID_ARGUMENT', answer.json.message);
    }
    assert.equal((await raw('GET', '/kiln/v1/containers/nosuch')).json.message, 'No such container: nosuch');
    const list = await raw('GET', '/kiln/v1/containers?all=true');
    assert.equal(list.status, 200);
    assert.deepEqual(list.json, []);
  });
});
