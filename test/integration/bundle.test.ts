// The command users run is the bundled CLI (bin/kiln -> dist/bin/kiln.cjs, made by
// scripts/bundle-cli.mjs), not the sources the other tests drive. It must behave as the
// program it bundles: read its version from the package, load commands kept out of the start
// file, report their errors as its own, and start the built daemon of its store root when none
// runs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { canRunContainers, containerUser } from '../helpers/kiln-env.js';
import { tempDir } from '../helpers/tmp.js';

const bundle = fileURLToPath(new URL('../../dist/bin/kiln.cjs', import.meta.url));
const packageJson = new URL('../../package.json', import.meta.url);

async function bundled(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [bundle, ...args], { encoding: 'utf8' });
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
    const root = await tempDir('bundle-errors');
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
});
