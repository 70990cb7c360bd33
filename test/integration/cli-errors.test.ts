// Wrong input to the image commands: each ends with one clear line on stderr and docker's exit
// code: 1 for what the engine rejects (a bad reference, an unknown filter or image), 125 for
// what the flag parser rejects (an unknown flag, a value outside a flag's choices).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { kilnCommand } from '../helpers/cli.js';
import { kilnUser } from '../helpers/kiln-env.js';

const user = await kilnUser('cli-errors');

describe('kiln image commands given wrong input', () => {
  it('rejects an invalid reference before contacting anything (exit 1)', async () => {
    const pulled = await user.kiln(['pull', 'Bad:Ref']);
    assert.equal(pulled.status, 1);
    assert.equal(pulled.stdout, '');
    assert.match(pulled.stderr, /invalid reference format/);
    const tagged = await user.kiln(['tag', 'busybox', 'Bad:Ref']);
    assert.equal(tagged.status, 1);
  });

  it('rejects an unknown --filter key with exit 1, as docker does (its daemon rejects filters)', async () => {
    const listed = await user.kiln(['images', '--filter', 'foo=bar']);
    assert.equal(listed.status, 1);
    assert.equal(listed.stdout, '');
    assert.match(listed.stderr, /invalid filter "foo"/);
  });

  it('exits 125 for flags the parser rejects', async () => {
    const [unknown, choice, missing] = await Promise.all([
      user.kiln(['images', '--bogus']),
      user.kiln(['save', '--format', 'tar', 'busybox']),
      user.kiln(['pull']),
    ]);
    assert.equal(unknown.status, 125);
    assert.match(unknown.stderr, /unknown option '--bogus'/);
    assert.equal(choice.status, 125);
    assert.match(choice.stderr, /Allowed choices are docker, oci, oci-layout/);
    assert.equal(missing.status, 125);
    assert.match(missing.stderr, /missing required argument 'name'/);
  });

  it('reports images that do not exist locally (exit 1)', async () => {
    const [pushed, inspected, login] = await Promise.all([
      user.kiln(['push', 'nosuch:1']),
      user.kiln(['image', 'inspect', 'nosuch:1']),
      user.kiln(['login', '127.0.0.1:1', '-u', 'u', '-p', 'x', '--password-stdin'], { input: 'x\n' }),
    ]);
    assert.equal(pushed.status, 1);
    assert.match(pushed.stderr, /An image does not exist locally with the tag: nosuch:1/);
    assert.equal(inspected.status, 1);
    assert.equal(inspected.stdout, '[]\n');
    assert.match(inspected.stderr, /No such image: nosuch:1/);
    assert.equal(login.status, 1);
    assert.match(login.stderr, /mutually exclusive/);
  });

  it('ends quietly when the reader of its output goes away (kiln images | head -0)', async () => {
    const { command, args } = kilnCommand(['--root', user.root, 'images']);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before kiln writes a byte
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const [status] = (await once(child, 'exit')) as [number | null];
    assert.equal(stderr, '');
    assert.equal(status, 0);
  });
});
