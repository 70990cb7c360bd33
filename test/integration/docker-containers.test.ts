// The stock docker CLI running containers on kilnd (DOCKER_HOST): Debian's 20.10 client always
// and a current 28.x where present, each through the Engine API's container, exec, volume and
// network endpoints. Every container is a real runc container on the busybox fixture; exit
// codes are the CLI's own, derived from wait, exec inspect or the start error's wording.
// Raw requests check that bad input gets a 4xx JSON error and the daemon keeps serving.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { canRunContainers } from '../helpers/kiln-env.js';
import { clientSkip, docker, dockerClients, startKilnd, type DockerClient, type DockerResult, type Kilnd } from '../helpers/kilnd.js';

// Started at the module's top level: a describe-level before hook ran after the tests here.
const started = canRunContainers ? await startKilnd('docker-containers') : undefined;
after(async () => started?.stop());

/** The client with `input` on its stdin (docker run -i). */
function dockerWithInput(kilnd: Kilnd, client: DockerClient, args: string[], input: string): Promise<DockerResult> {
  return new Promise((resolve) => {
    const child = execFile(client.path, args, {
      env: { ...process.env, DOCKER_HOST: `unix://${kilnd.socket}`, DOCKER_CONFIG: join(kilnd.root, 'docker-config') },
    }, (err, stdout, stderr) => resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr }));
    child.stdin?.end(input);
  });
}

function raw(socket: string, method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, headers: body === undefined ? {} : { 'Content-Type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject).end(body);
  });
}

describe('docker container commands against kilnd', { skip: started === undefined ? 'needs root for the daemon and runc' : false }, () => {
  for (const client of dockerClients) {
    // Names of their own per client: the clients share one daemon.
    const suffix = client.path.startsWith('/usr/local') ? 'c28' : 'c20';
    const cli = (args: string[]): Promise<DockerResult> => docker(started!, client, args);
    const ok = async (args: string[]): Promise<string> => {
      const result = await cli(args);
      assert.equal(result.code, 0, `docker ${args.join(' ')}: ${result.stderr}`);
      return result.stdout;
    };

    it(`${client.name}: run --rm gives the output and the exit code, 127 for a missing command`, clientSkip(client), async () => {
      assert.deepEqual(await cli(['run', '--rm', 'busybox:1', 'echo', 'hi']), { code: 0, stdout: 'hi\n', stderr: '' });
      const three = await cli(['run', '--rm', 'busybox:1', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      assert.deepEqual([three.code, three.stdout, three.stderr], [3, 'out\n', 'err\n']);
      const missing = await cli(['run', '--rm', 'busybox:1', '/no/such/binary']);
      assert.equal(missing.code, 127);
      assert.match(missing.stderr, /OCI runtime create failed: .*no such file or directory/);
      const env = await cli(['run', '--rm', '-e', 'A=1', '-w', '/tmp', '--entrypoint', 'sh', 'busybox:1', '-c', 'echo $A $(pwd)']);
      assert.equal(env.stdout, '1 /tmp\n');
    });

    it(`${client.name}: run -i passes piped stdin and its end to the container`, clientSkip(client), async () => {
      const result = await dockerWithInput(started!, client, ['run', '-i', '--rm', 'busybox:1', 'sh', '-c', 'cat; echo done >&2'], 'line1\nline2\n');
      assert.deepEqual(result, { code: 0, stdout: 'line1\nline2\n', stderr: 'done\n' });
    });

    it(`${client.name}: run -d, then ps, logs, inspect, exec, stop and rm`, clientSkip(client), async () => {
      const name = `bg-${suffix}`;
      const id = (await ok(['run', '-d', '--name', name, '--label', 'purpose=test', 'busybox:1', 'sh', '-c', 'echo started; echo warned >&2; exec sleep 60'])).trim();
      assert.match(id, /^[0-9a-f]{64}$/);
      const ps = await ok(['ps', '--filter', `name=${name}`, '--format', '{{.ID}} {{.Names}} {{.Status}} {{.Labels}}']);
      assert.match(ps, new RegExp(`^${id.slice(0, 12)} ${name} Up (Less than a second|\\d+ seconds?) purpose=test\\n$`));
      assert.equal(await ok(['inspect', '--format', '{{.State.Running}} {{.Name}} {{.Config.Tty}}', name]), `true /${name} false\n`);
      let logs = await cli(['logs', name]);
      for (let tries = 0; (logs.stdout === '' || logs.stderr === '') && tries < 50; tries++) logs = await cli(['logs', name]);
      assert.deepEqual([logs.stdout, logs.stderr], ['started\n', 'warned\n']);
      // The last line is either stream's, whichever came last: one line, stamped.
      const stamped = await cli(['logs', '--tail', '1', '-t', name]);
      assert.equal(stamped.code, 0, stamped.stderr);
      assert.match(stamped.stdout + stamped.stderr, /^\d{4}-\d\d-\d\dT[\d:.]+Z (started|warned)\n$/);
      const exec = await cli(['exec', '-e', 'FOO=bar', '-w', '/tmp', name, 'sh', '-c', 'echo $FOO; pwd; exit 4']);
      assert.deepEqual([exec.code, exec.stdout], [4, 'bar\n/tmp\n']);
      assert.equal((await cli(['exec', name, 'no-such-command'])).code, 127);
      assert.equal(await ok(['stop', '-t', '1', name]), `${name}\n`);
      assert.match(await ok(['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Status}}']), /^Exited \(137\) /);
      assert.equal(await ok(['stop', name]), `${name}\n`, 'stopping a stopped container is no error');
      assert.equal(await ok(['rm', name]), `${name}\n`);
      assert.equal(await ok(['ps', '-a', '--filter', `name=${name}`, '-q']), '');
    });

    it(`${client.name}: rm refuses a running container (409) until forced; kill; wait gives the exit code`, clientSkip(client), async () => {
      const name = `running-${suffix}`;
      await ok(['run', '-d', '--name', name, 'busybox:1', 'sleep', '60']);
      const refused = await cli(['rm', name]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /You cannot remove a running container [0-9a-f]{64}/);
      assert.equal(await ok(['rm', '-f', name]), `${name}\n`);
      const gone = await cli(['rm', name]);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /No such container/);
      const waited = `waited-${suffix}`;
      await ok(['run', '-d', '--name', waited, 'busybox:1', 'sh', '-c', 'sleep 0.3; exit 7']);
      assert.equal(await ok(['wait', waited]), '7\n');
      await ok(['rm', waited]);
      const killed = `killed-${suffix}`;
      await ok(['run', '-d', '--name', killed, 'busybox:1', 'sleep', '60']);
      assert.equal(await ok(['kill', killed]), `${killed}\n`);
      assert.equal(await ok(['wait', killed]), '137\n');
      assert.equal((await cli(['kill', killed])).code, 1, 'a container that does not run cannot be killed');
      await ok(['rm', killed]);
    });

    it(`${client.name}: create then start, ps -a --filter name=, logs -f until the end, container prune`, clientSkip(client), async () => {
      const name = `created-${suffix}`;
      const id = (await ok(['create', '--name', name, 'busybox:1', 'sh', '-c', 'echo n1; sleep 0.5; echo n2'])).trim();
      assert.equal(await ok(['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Names}} {{.Status}}']), `${name} Created\n`);
      assert.equal(await ok(['ps', '--filter', `name=${name}`, '-q']), '', 'a created container is not running');
      assert.equal(await ok(['start', name]), `${name}\n`);
      assert.equal(await ok(['logs', '-f', name]), 'n1\nn2\n');
      assert.equal(await ok(['wait', name]), '0\n');
      assert.match(await ok(['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Status}}']), /^Exited \(0\) /);
      // A foreground run without --rm waits for the next exit and keeps the container.
      const kept = await cli(['run', '--name', `kept-${suffix}`, 'busybox:1', 'sh', '-c', 'exit 5']);
      assert.equal(kept.code, 5);
      const keptId = (await ok(['ps', '-aq', '--no-trunc', '--filter', `name=kept-${suffix}`])).trim();
      const pruned = await ok(['container', 'prune', '-f']);
      assert.ok(pruned.includes(id) && pruned.includes(keptId), pruned);
      assert.equal(await ok(['ps', '-aq']), '');
    });

    it(`${client.name}: volume create, ls and rm, and a run with -v volume:/data`, clientSkip(client), async () => {
      const volume = `vol-${suffix}`;
      assert.equal(await ok(['volume', 'create', volume]), `${volume}\n`);
      assert.match(await ok(['volume', 'ls']), new RegExp(`local +${volume}\\n`));
      await ok(['run', '--rm', '-v', `${volume}:/data`, 'busybox:1', 'sh', '-c', 'echo kept > /data/file']);
      assert.equal(await ok(['run', '--rm', '-v', `${volume}:/data`, 'busybox:1', 'cat', '/data/file']), 'kept\n');
      assert.equal(await ok(['volume', 'rm', volume]), `${volume}\n`);
      assert.doesNotMatch(await ok(['volume', 'ls', '-q']), new RegExp(volume));
    });

    it(`${client.name}: network ls shows bridge, host and none`, clientSkip(client), async () => {
      const lines = (await ok(['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}'])).split('\n').filter((l) => l !== '').sort();
      assert.deepEqual(lines, ['bridge bridge local', 'host host local', 'none null local']);
    });
  }

  it('answers bad input with a 4xx JSON error and keeps serving', async () => {
    const socket = started!.socket;
    const malformed = await raw(socket, 'POST', '/v1.41/containers/create', '{"Image":');
    assert.equal(malformed.status, 400);
    assert.match((JSON.parse(malformed.body) as { message: string }).message, /malformed JSON/);
    const wrongType = await raw(socket, 'POST', '/v1.41/containers/create', '{"Image":"busybox:1","Cmd":5}');
    assert.equal(wrongType.status, 400);
    const noImage = await raw(socket, 'POST', '/v1.41/containers/create', '{"Image":"no-such-image:1"}');
    assert.deepEqual([noImage.status, (JSON.parse(noImage.body) as { message: string }).message], [404, 'No such image: no-such-image:1']);
    for (const [method, path] of [['GET', '/v1.41/containers/nosuchctr/json'], ['DELETE', '/v1.41/containers/nosuchctr'], ['POST', '/v1.41/containers/nosuchctr/wait']]) {
      const missing = await raw(socket, method as string, path as string);
      assert.deepEqual([missing.status, (JSON.parse(missing.body) as { message: string }).message], [404, 'No such container: nosuchctr']);
    }
    const badFilter = await raw(socket, 'GET', `/v1.41/containers/json?filters=${encodeURIComponent('{"bogus":["x"]}')}`);
    assert.equal(badFilter.status, 400);
    const badCondition = await raw(socket, 'POST', '/v1.41/containers/nosuchctr/wait?condition=sometime');
    assert.equal(badCondition.status, 400);
    const list = await raw(socket, 'GET', '/v1.41/containers/json?all=1');
    assert.equal(list.status, 200);
    assert.deepEqual(JSON.parse(list.body), [], 'every test removed its containers');
    assert.equal(await started!.user.runcList(), '', 'no runc container is left');
  });
});
