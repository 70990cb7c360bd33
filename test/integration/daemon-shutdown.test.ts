// SIGTERM to kilnd in the middle of a build: the build is cancelled (its client hears so), the
// daemon exits within its grace period, no step's container is left to runc, and the next
// daemon on the same root runs the interrupted step again rather than finding half of it cached.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { buildRuncRoot } from '../../src/daemon/build/index.js';
import { canRunContainers } from '../helpers/kiln-env.js';
import { kilnVia, restartKilnd, startKilnd } from '../helpers/kilnd.js';
import { tempDir } from '../helpers/tmp.js';

/** The build steps' containers runc knows under the store root. */
async function stepContainers(root: string): Promise<string> {
  return (await promisify(execFile)('runc', ['--root', buildRuncRoot(root), 'list', '-q'])).stdout.trim();
}

let kilnd = canRunContainers ? await startKilnd('daemon-shutdown') : undefined;
after(async () => kilnd?.stop());

describe('kilnd shutting down during a build', { skip: canRunContainers ? false : 'needs root for the daemon' }, () => {
  it('cancels the build, exits promptly, and leaves nothing half done', async () => {
    const context = await tempDir('daemon-shutdown-context');
    // The RUN waits for a file in its cache mount, a host directory the test can write to.
    await writeFile(join(context, 'Dockerfile'), 'FROM busybox:1\nRUN --mount=type=cache,target=/c,id=gate sh -c \'echo step-ran; while [ ! -f /c/go ]; do sleep 0.1; done\'\n');
    const build = kilnVia(kilnd!, ['build', '--progress=plain', '-t', 'interrupted:1', context]);
    const deadline = Date.now() + 30_000;
    // Into the RUN: its container is up.
    while ((await stepContainers(kilnd!.root)) === '') {
      if (Date.now() > deadline) assert.fail('the RUN never started');
      await delay(50);
    }
    const stopping = Date.now();
    await kilnd!.stop();
    assert.ok(Date.now() - stopping < 10_000, 'the daemon exits within its grace period');
    const result = await build;
    assert.notEqual(result.status, 0, 'the build failed');
    assert.match(result.stderr, /the kiln daemon is shutting down/, result.stderr);
    assert.equal(await stepContainers(kilnd!.root), '', 'no step container is left to runc');

    kilnd = await restartKilnd(kilnd!);
    const gate = join(kilnd.root, 'cache', 'mounts', createHash('sha256').update('gate').digest('hex'));
    await mkdir(gate, { recursive: true });
    await writeFile(join(gate, 'go'), '');
    const again = await kilnVia(kilnd, ['build', '--progress=plain', '-t', 'interrupted:1', context]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /step-ran/, 'the same step ran again: nothing of the interrupted run was cached');
  });
});
