// `kiln build` on a terminal (a pty from util-linux script(1)): `--progress=tty`, and `auto`
// there, draw BuildKit's live view and leave its final frame; `tty` without a terminal is refused.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { kilnCommand } from '../helpers/cli.js';
import { canRunContainers, containerUser, tool } from '../helpers/kiln-env.js';
import { tempDir } from '../helpers/tmp.js';

const hasScript = (await tool('script', ['--version'])).status === 0;

describe('kiln build tty progress', { skip: !canRunContainers ? 'needs root for mounts and runc' : hasScript ? false : 'needs script(1) from util-linux' }, async () => {
  const user = await containerUser('build-progress-tty');

  /** `kiln ARGS` with stdout and stderr on a fresh pty; what the terminal got comes back on stdout. */
  async function inPty(args: string[]): Promise<{ status: number; output: string }> {
    const { command, args: argv } = kilnCommand(['--root', user.root, ...args]);
    const line = [command, ...argv].map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(' ');
    const result = await tool('script', ['-qec', line, '/dev/null']);
    return { status: result.status, output: result.stdout };
  }

  it('draws the live view and leaves a FINISHED final frame', async () => {
    const context = await tempDir('progress-tty');
    await writeFile(join(context, 'Dockerfile'), 'FROM busybox:1\nRUN echo tty-step\n');
    for (const progress of ['tty', 'auto']) {
      const built = await inPty(['build', `--progress=${progress}`, context]);
      assert.equal(built.status, 0, built.output);
      assert.match(built.output, /\[\+\] Building \d+\.\ds \(\d+\/\d+\)/);
      assert.match(built.output, /\[\+\] Building \d+\.\ds \((\d+)\/\1\) FINISHED/);
      assert.ok(built.output.includes('\x1b[2K'), JSON.stringify(built.output));
      assert.match(built.output, / => (CACHED )?\[2\/2\] RUN echo tty-step +\d+\.\ds/);
      assert.match(built.output, /writing image sha256:[0-9a-f]{64} done/);
    }
  });

  it('refuses --progress=tty when stderr is not a terminal', async () => {
    const context = await tempDir('progress-tty-pipe');
    await writeFile(join(context, 'Dockerfile'), 'FROM busybox:1\n');
    const refused = await user.kiln(['build', '--progress=tty', context]);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /--progress=tty: stderr is not a terminal/);
  });
});
