// Restart policies through kilnd, with kiln's CLI and the docker CLI: on-failure retries its
// count and stops, always brings a container back until it is stopped by hand, and a daemon
// restart (SIGTERM, then a new daemon on the same root) brings back what its policy says:
// always and unless-stopped containers it had running, not an unless-stopped one stopped by
// hand. Flags that cannot hold are refused.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { canRunContainers } from '../helpers/kiln-env.js';
import { docker, dockerClients, kilnVia, restartKilnd, startKilnd, type Kilnd } from '../helpers/kilnd.js';

let kilnd = canRunContainers ? await startKilnd('restart-policy') : undefined;
after(async () => kilnd?.stop());
const image = 'busybox:1';

async function ok(args: string[]): Promise<string> {
  const result = await kilnVia(kilnd!, args);
  assert.equal(result.status, 0, `kiln ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

/** `{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}` of a container, by the docker CLI. */
async function stateOf(name: string, on: Kilnd = kilnd!): Promise<string> {
  const client = dockerClients.find((each) => each.required)!;
  const inspected = await docker(on, client, ['inspect', '-f', '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}', name]);
  assert.equal(inspected.code, 0, inspected.stderr);
  return inspected.stdout.trim();
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting: ${what}`);
    await delay(50);
  }
}

describe('restart policies', { skip: canRunContainers ? false : 'needs root for the daemon' }, () => {
  it('on-failure:2 restarts a failing container twice, then leaves it exited', async () => {
    await ok(['run', '-d', '--name', 'flaky', '--restart', 'on-failure:2', image, 'sh', '-c', 'echo try; exit 3']);
    await until(async () => (await stateOf('flaky')) === 'exited 2 3', 'two restarts');
    await delay(800);
    assert.equal(await stateOf('flaky'), 'exited 2 3', 'no third restart');
    assert.equal(await ok(['logs', 'flaky']), 'try\ntry\ntry');
  });

  it('always brings a container back until it is stopped by hand; a start by hand turns it on again', async () => {
    await ok(['run', '-d', '--name', 'looping', '--restart', 'always', image, 'sh', '-c', 'echo up; sleep 0.2']);
    await until(async () => Number((await stateOf('looping')).split(' ')[1]) >= 2, 'restarted twice');
    await ok(['stop', 'looping']);
    const stopped = await stateOf('looping');
    await delay(800);
    assert.equal(await stateOf('looping'), stopped, 'stopped by hand, it stays stopped');
    assert.match(stopped, /^exited /);
    const client = dockerClients.find((each) => each.required)!;
    assert.equal((await docker(kilnd!, client, ['start', 'looping'])).code, 0);
    await until(async () => Number((await stateOf('looping')).split(' ')[1]) >= 1, 'restarting again after the start by hand');
    await ok(['rm', '-f', 'looping']);
  });

  it('takes the docker CLI\'s --restart, and shows it in inspect', async () => {
    const client = dockerClients.find((each) => each.required)!;
    const ran = await docker(kilnd!, client, ['run', '-d', '--name', 'docker-flaky', '--restart', 'on-failure:1', image, 'sh', '-c', 'exit 5']);
    assert.equal(ran.code, 0, ran.stderr);
    await until(async () => (await stateOf('docker-flaky')) === 'exited 1 5', 'one restart');
    const policy = await docker(kilnd!, client, ['inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', 'docker-flaky']);
    assert.equal(policy.stdout.trim(), 'on-failure:1');
  });

  it('brings back with a restarted daemon what it ran, but not an unless-stopped container stopped by hand', async () => {
    await ok(['run', '-d', '--name', 'service', '--restart', 'unless-stopped', image, 'sleep', '300']);
    await ok(['run', '-d', '--name', 'kept-down', '--restart', 'unless-stopped', image, 'sleep', '300']);
    await ok(['run', '-d', '--name', 'forever', '--restart', 'always', image, 'sleep', '300']);
    await ok(['run', '-d', '--name', 'plain', image, 'sleep', '300']);
    await ok(['stop', '-t', '1', 'kept-down']);
    await kilnd!.stop();
    kilnd = await restartKilnd(kilnd!);
    await until(async () => (await stateOf('service')).startsWith('running') && (await stateOf('forever')).startsWith('running'), 'the policy\'s containers running again');
    assert.match(await stateOf('kept-down'), /^exited /);
    assert.match(await stateOf('plain'), /^exited /);
    await ok(['rm', '-f', 'service', 'forever', 'kept-down', 'plain']);
  });

  it('refuses what cannot hold: no -d, --rm with a policy, an unknown policy', async () => {
    const attached = await kilnVia(kilnd!, ['run', '--restart', 'always', image, 'true']);
    assert.equal(attached.status, 125);
    assert.match(attached.stderr, /--restart: kiln restarts detached containers only/);
    const removed = await kilnVia(kilnd!, ['run', '-d', '--rm', '--restart', 'always', image, 'true']);
    assert.equal(removed.status, 125);
    assert.match(removed.stderr, /conflicting options: --restart and --rm/);
    const unknown = await kilnVia(kilnd!, ['run', '-d', '--restart', 'sometimes', image, 'true']);
    assert.equal(unknown.status, 125);
    assert.match(unknown.stderr, /invalid restart policy "sometimes"/);
  });
});
