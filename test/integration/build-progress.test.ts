// What `kiln build` shows of its steps: a RUN's output in the plain display (`#N 0.123 text`),
// and for a failing RUN its block, its Dockerfile lines, the path of its whole log and exit 1.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { canRunContainers, containerUser } from '../helpers/kiln-env.js';
import { tempDir } from '../helpers/tmp.js';

describe('kiln build progress', { skip: canRunContainers ? false : 'needs root for mounts and runc' }, async () => {
  const user = await containerUser('build-progress');

  it('shows a RUN\'s output lines with the seconds since the step started', async () => {
    const context = await tempDir('progress-echo');
    await writeFile(join(context, 'Dockerfile'), 'FROM busybox:1\nRUN echo BENCH_METRIC steps=1 && echo second >&2\n');
    const built = await user.kiln(['build', '--progress=plain', context]);
    assert.equal(built.status, 0, built.stderr);
    assert.match(built.stderr, /^#\d+ \d+\.\d{3} BENCH_METRIC steps=1$/m);
    assert.match(built.stderr, /^#\d+ \d+\.\d{3} second$/m);
  });

  it('shows a failing step, its Dockerfile lines and where its whole log is, and exits 1', async () => {
    const context = await tempDir('progress-fail');
    const many = Array.from({ length: 30 }, (_, i) => `line${i + 1}`).join(' ');
    await writeFile(join(context, 'Dockerfile'), `FROM busybox:1\nRUN for l in ${many}; do echo $l; done; false\n`);
    const failed = await user.kiln(['build', '--progress=plain', context]);
    assert.equal(failed.status, 1, failed.stderr);
    const run = `[2/2] RUN for l in ${many}; do echo $l; done; false`;
    assert.ok(failed.stderr.includes(`------\n > ${run}:\nline21\n`), failed.stderr);
    assert.ok(failed.stderr.includes('line30\n------\nDockerfile:2\n--------------------\n   1 |     FROM busybox:1\n   2 | >>> RUN for l in'), failed.stderr);
    assert.match(failed.stderr, /failed to solve: process "\/bin\/sh -c for l in .*; false" did not complete successfully: exit code: 1/);
    const path = /hint: the step's whole output is in (\S+\.log)/.exec(failed.stderr)?.[1];
    assert.ok(path !== undefined, failed.stderr);
    assert.equal(await readFile(path, 'utf8'), `${Array.from({ length: 30 }, (_, i) => `line${i + 1}\n`).join('')}`);
  });
});
