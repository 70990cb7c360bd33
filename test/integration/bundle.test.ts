// The command users run is the bundled CLI (bin/kiln -> dist/bin/kiln.cjs, made by
// scripts/bundle-cli.mjs), not the sources the other tests drive. It must behave as the
// program it bundles: read its version from the package, load commands kept out of the start
// file, report their errors as its own, and start the built daemon of its store root when none
// runs.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { canRunContainers, containerUser, kilnUser } from '../helpers/kiln-env.js';
import { tempDir } from '../helpers/tmp.js';

const bundle = fileURLToPath(new URL('../../dist/bin/kiln.cjs', import.meta.url));
const packageJson = new URL('../../package.json', import.meta.url);

async function bundled(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [bundle, ...args], { encoding: 'utf8' });
}

async function until(done: () => boolean, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; !done(); await delay(50)) {
    if (Date.now() > end) assert.fail('timed out waiting for the daemon');
  }
}

describe('the bundled CLI', () => {
  it('is built', async () => {
    await access(bundle).catch(() => assert.fail(`${bundle} is missing: run \`npm run build\` before the tests`));
  });

  it('prints the package version', async () => {
    const { version } = JSON.parse(await readFile(packageJson, 'utf8')) as { version: string };
    assert.equal((await bundled(['--version'])).stdout, `${version}\n`);
  });

  it('reports the errors of a command loaded on demand as kiln errors, with their exit code', async () => {
    // A user's root: the command starts the root's daemon, which must stop before the root goes.
    const { root } = await kilnUser('bundle-errors');
    const failed = await bundled(['--root', root, 'image', 'inspect', 'nosuch:1']).then(
      () => assert.fail('inspect of a missing image succeeded'),
      (err: { code?: number; stderr?: string }) => err,
    );
    assert.equal(failed.code, 1);
    assert.match(failed.stderr ?? '', /No such image: nosuch:1/);
    assert.doesNotMatch(failed.stderr ?? '', /internal error/);
  });

  it('runs a container through the built daemon it starts', { skip: canRunContainers ? false : 'needs root for mounts and runc' }, async () => {
    const user = await containerUser('bundle');
    const ran = await bundled(['--root', user.root, 'run', '--rm', user.image, 'sh', '-c', 'echo from the bundle']);
    assert.equal(ran.stdout, 'from the bundle\n');
    const images = await bundled(['--root', user.root, 'images', '--format', '{{.Repository}}:{{.Tag}}']);
    assert.equal(images.stdout, `${user.image}\n`);
    const daemonCommand = await readFile(`/proc/${(await readFile(`${user.root}/kilnd.pid`, 'utf8')).trim()}/cmdline`, 'utf8').catch(() => '');
    assert.ok(daemonCommand.startsWith('kilnd'), `the root's daemon runs: ${JSON.stringify(daemonCommand)}`);
  });

  it('runs `kiln daemon` in the foreground, whose builds compress layers on its worker threads', { skip: canRunContainers ? false : 'needs root for mounts and runc' }, async () => {
    const user = await containerUser('bundle-foreground');
    const socket = join(await tempDir('bundle-sock'), 'kiln.sock');
    const daemon = spawn(process.execPath, [bundle, '--root', user.root, 'daemon', '--host', `unix://${socket}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    daemon.stderr.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    try {
      await until(() => log.includes('"msg":"listening"') || daemon.exitCode !== null);
      const context = await tempDir('bundle-context');
      await writeFile(join(context, 'data.txt'), 'x'.repeat(3 << 20));
      await writeFile(join(context, 'Dockerfile'), `FROM ${user.image}\nCOPY data.txt /data.txt\n`);
      const built = await bundled(['--host', `unix://${socket}`, 'build', '-q', '-t', 'fg:1', context]);
      assert.match(built.stdout, /^sha256:[0-9a-f]{64}\n$/);
      const ran = await bundled(['--host', `unix://${socket}`, 'run', '--rm', 'fg:1', 'sh', '-c', 'wc -c < /data.txt']);
      assert.equal(ran.stdout.trim(), String(3 << 20));
    } finally {
      daemon.kill('SIGTERM');
      await once(daemon, 'exit');
    }
    assert.doesNotMatch(log, /__dirname|on a worker thread failed/);
  });
});
