import assert from 'node:assert/strict';
import { chmod, chown, rename, stat, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { closeHashPool, openContext, type ContextSelection } from '../../../src/contenthash/index.js';
import { parseIgnoreFile, PatternMatcher } from '../../../src/dockerfile/index.js';
import { KilnError } from '../../../src/util/errors.js';
import { tempDir } from '../../helpers/tmp.js';
import { writeTree } from './tree.js';

const base = await tempDir('contenthash-keys');
const root = join(base, 'root');
let serial = 0;

after(closeHashPool);

const app = { 'app/main.sh': 'echo hi\n', 'app/lib/util.sh': 'true\n', 'app/README.md': 'docs\n', 'top.txt': 'top\n' };

async function context(files: Record<string, string> = app): Promise<string> {
  return writeTree(join(base, `ctx${serial++}`), files);
}

function sum(dir: string, selection: Partial<ContextSelection> & { paths: string[] }, ignore?: PatternMatcher): Promise<string> {
  // A fresh instance each time: a BuildContext is one build's snapshot of the context.
  return openContext(root, dir, ignore).checksum({ allowWildcard: true, ...selection });
}

const whole = { paths: ['.'] };
const appDir = { paths: ['app'] };

describe('contenthash keys', () => {
  it('gives equal trees equal keys wherever they live', async () => {
    const a = await context();
    const b = await context();
    assert.equal(await sum(a, appDir), await sum(b, appDir));
    assert.equal(await sum(a, whole), await sum(b, whole));
    assert.equal(await sum(a, { paths: ['/app/'] }), await sum(a, appDir));
    assert.match(await sum(a, appDir), /^sha256:[a-f0-9]{64}$/);
  });

  it('ignores mtime and atime', async () => {
    const dir = await context();
    const before = await sum(dir, appDir);
    await utimes(join(dir, 'app/main.sh'), new Date(1_000_000), new Date(2_000_000));
    assert.equal(await sum(dir, appDir), before);
  });

  it('changes with mode bits, setuid included', async () => {
    const dir = await context();
    const before = await sum(dir, appDir);
    await chmod(join(dir, 'app/main.sh'), 0o755);
    const executable = await sum(dir, appDir);
    assert.notEqual(executable, before);
    await chmod(join(dir, 'app/main.sh'), 0o4755);
    assert.notEqual(await sum(dir, appDir), executable);
  });

  it('changes with the owner', async () => {
    const dir = await context();
    const before = await sum(dir, appDir);
    await chown(join(dir, 'app/lib/util.sh'), 1000, 0);
    const byUid = await sum(dir, appDir);
    assert.notEqual(byUid, before);
    await chown(join(dir, 'app/lib/util.sh'), 1000, 1000);
    assert.notEqual(await sum(dir, appDir), byUid);
  });

  it('changes with content of equal size, even when the mtime is put back', async () => {
    const dir = await context();
    const file = join(dir, 'app/main.sh');
    const before = await sum(dir, appDir);
    const { atime, mtime } = await stat(file);
    await writeFile(file, 'echo ho\n');
    await utimes(file, atime, mtime);
    assert.notEqual(await sum(dir, appDir), before);
  });

  it('changes with a symlink target and does not follow links inside a tree', async () => {
    const dir = await context();
    await symlink('main.sh', join(dir, 'app/link'));
    const before = await sum(dir, appDir);
    await writeFile(join(dir, 'app/main.sh'), 'echo changed\n');
    const contentChanged = await sum(dir, appDir);
    await unlink(join(dir, 'app/link'));
    await symlink('lib/util.sh', join(dir, 'app/link'));
    assert.notEqual(contentChanged, before);
    assert.notEqual(await sum(dir, appDir), contentChanged);
  });

  it('follows a selected symlink only with followPaths', async () => {
    const dir = await context();
    await symlink('app', join(dir, 'current'));
    assert.equal(await sum(dir, { paths: ['current'], followPaths: true }), await sum(dir, appDir));
    assert.notEqual(await sum(dir, { paths: ['current'] }), await sum(dir, appDir));
    // Parent symlinks are always resolved inside the context.
    assert.equal(await sum(dir, { paths: ['current/main.sh'] }), await sum(dir, { paths: ['app/main.sh'] }));
  });

  it('names children inside a selected directory but not the selected source', async () => {
    const dir = await context();
    const before = await sum(dir, appDir);
    await rename(join(dir, 'app/main.sh'), join(dir, 'app/start.sh'));
    const renamedChild = await sum(dir, appDir);
    assert.notEqual(renamedChild, before);
    await rename(join(dir, 'app'), join(dir, 'service'));
    assert.equal(await sum(dir, { paths: ['service'] }), renamedChild);
    assert.equal(await sum(dir, { paths: ['top.txt'] }), await sum(await context({ 'other.txt': 'top\n' }), { paths: ['other.txt'] }));
  });

  it('combines wildcard matches by name and several sources in order', async () => {
    const dir = await context({ 'a.txt': 'a', 'b.txt': 'b', 'c.md': 'c', 'src/x/in.txt': 'x', 'src/y/in.txt': 'y' });
    const txt = await sum(dir, { paths: ['*.txt'] });
    assert.equal(txt, await sum(dir, { paths: ['[ab].txt'] }));
    assert.notEqual(txt, await sum(dir, { paths: ['?.*'] }), 'c.md matches too');
    assert.notEqual(await sum(dir, { paths: ['a.txt', 'b.txt'] }), await sum(dir, { paths: ['b.txt', 'a.txt'] }));
    assert.equal(await sum(dir, { paths: ['src/*/in.txt'] }), await sum(dir, { paths: ['src/[xy]/in.txt'] }));
    await writeFile(join(dir, 'd.txt'), 'd');
    assert.notEqual(await sum(dir, { paths: ['*.txt'] }), txt);
    await sum(dir, { paths: ['*.none'] });
    await assert.rejects(sum(dir, { paths: ['[a-'] }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(sum(dir, { paths: ['[]a]'] }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(sum(dir, { paths: ['*.txt'], allowWildcard: false }), { code: 'NOT_FOUND' });
  });

  it('makes .dockerignore exclusions invisible and honours ! re-inclusion', async () => {
    const dir = await context({ 'app.js': 'x', 'debug.log': '1', 'keep.log': 'k', 'logs/a.log': 'a' });
    const ignore = new PatternMatcher(parseIgnoreFile('*.log\n**/*.log\n!keep.log\n'));
    const before = await sum(dir, whole, ignore);
    await writeFile(join(dir, 'debug.log'), '2');
    await writeFile(join(dir, 'logs/a.log'), 'b');
    assert.equal(await sum(dir, whole, ignore), before);
    await assert.rejects(sum(dir, { paths: ['debug.log'] }, ignore), { code: 'NOT_FOUND' });
    await writeFile(join(dir, 'keep.log'), 'K');
    assert.notEqual(await sum(dir, whole, ignore), before);
  });

  it('applies a selection exclude and include below each source', async () => {
    const dir = await context();
    const excluded = await sum(dir, { paths: ['app'], exclude: ['*.md'] });
    const included = await sum(dir, { paths: ['app'], include: ['lib'] });
    await writeFile(join(dir, 'app/README.md'), 'other docs\n');
    assert.equal(await sum(dir, { paths: ['app'], exclude: ['*.md'] }), excluded);
    assert.equal(await sum(dir, { paths: ['app'], include: ['lib'] }), included);
    await writeFile(join(dir, 'app/lib/util.sh'), 'false\n');
    assert.notEqual(await sum(dir, { paths: ['app'], exclude: ['*.md'] }), excluded);
    assert.notEqual(await sum(dir, { paths: ['app'], include: ['lib'] }), included);
  });

  it('reports a missing path as NOT_FOUND and refuses paths outside the context', async () => {
    const dir = await context();
    await assert.rejects(sum(dir, { paths: ['app', 'nope/file.txt'] }), (err: unknown) => {
      assert.ok(err instanceof KilnError);
      assert.equal(err.code, 'NOT_FOUND');
      assert.match(err.message, /nope\/file\.txt/);
      return true;
    });
    await assert.rejects(sum(dir, { paths: ['../x'] }), { code: 'INVALID_ARGUMENT', message: /outside the build context/ });
    await assert.rejects(sum(dir, { paths: ['app/../../x'] }), { code: 'INVALID_ARGUMENT' });
  });
});
