// The overlay snapshotter against real overlayfs mounts (the tests run as root).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { getfattr } from './snapshotter-xattr.js';
import { chainIds, OverlaySnapshotter, unmountAll, type Mount } from '../../../src/snapshot/index.js';
import { kilnRejection } from '../../helpers/errors.js';
import { makeStore, mountAt as mountIn, type Store } from './snapshotter-fixture.js';

const run = promisify(execFile);
const targets: string[] = [];
// Top-level, not in a before hook: the store's after hook must belong to this file.
const store: Store = await makeStore(targets);
const snapshotter = new OverlaySnapshotter(store.root);
const top = await snapshotter.unpack(store.content, store.layers, store.diffIds);

function mountAt(name: string, mounts: Mount[]): Promise<string> {
  return mountIn(store, targets, name, mounts);
}

function option(mounts: Mount[], name: string): string {
  const found = mounts[0]?.options.find((o) => o.startsWith(`${name}=`));
  assert.ok(found !== undefined, `no ${name} in ${JSON.stringify(mounts)}`);
  return found.slice(name.length + 1);
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(() => true, () => false);
}

async function assertMergedView(target: string): Promise<void> {
  assert.equal(await exists(join(target, 'etc/group')), false, 'whited-out file is gone');
  assert.match(await readFile(join(target, 'etc/passwd'), 'utf8'), /^root:/);
  assert.equal(await readFile(join(target, 'etc/motd'), 'utf8'), 'layer two\n');
  assert.deepEqual(await readdir(join(target, 'home')), ['new'], 'opaque dir hides the lower home/app');
  await run('chroot', [target, '/bin/busybox', 'true']);
}

test('chain IDs follow the image spec', () => {
  const a = `sha256:${'a'.repeat(64)}` as const;
  const b = `sha256:${'b'.repeat(64)}` as const;
  const [first, second] = chainIds([a, b]);
  assert.equal(first, a);
  assert.equal(second, `sha256:${createHashHex(`${a} ${b}`)}`);
});

function createHashHex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

test('unpack commits one snapshot per chain ID, with overlay whiteouts in the top layer', async () => {
  const chain = chainIds(store.diffIds);
  assert.equal(top, chain[1]);
  const infos = await snapshotter.list();
  assert.deepEqual(infos.map((i) => [i.key, i.parent, i.kind]), [[chain[0], undefined, 'committed'], [chain[1], chain[0], 'committed']]);
  const view = await snapshotter.view('inspect', top);
  const lowers = option(view, 'lowerdir').split(':');
  assert.equal(lowers.length, 2);
  const whiteout = await lstat(join(lowers[0] as string, 'etc/group'));
  assert.ok(whiteout.isCharacterDevice());
  assert.equal(whiteout.rdev, 0);
  assert.equal(await getfattr(join(lowers[0] as string, 'home'), 'trusted.overlay.opaque'), 'y');
  assert.deepEqual(view[0]?.options[0], 'ro');
  const target = await mountAt('inspect', view);
  await assertMergedView(target);
  await unmountAll(target);
  await snapshotter.remove('inspect');
});

test('an active snapshot shows the merged view and takes writes in its upper dir only', async () => {
  const mounts = await snapshotter.prepare('work', top);
  assert.equal(mounts[0]?.type, 'overlay');
  const target = await mountAt('work', mounts);
  await assertMergedView(target);
  await writeFile(join(target, 'etc/passwd'), 'changed\n');
  await writeFile(join(target, 'hello'), 'hi\n');
  const upper = option(mounts, 'upperdir');
  assert.equal(await readFile(join(upper, 'hello'), 'utf8'), 'hi\n');
  assert.equal(await readFile(join(upper, 'etc/passwd'), 'utf8'), 'changed\n');
  for (const lower of option(mounts, 'lowerdir').split(':')) {
    assert.equal(await exists(join(lower, 'hello')), false);
  }
  const lowest = option(mounts, 'lowerdir').split(':').at(-1) as string;
  assert.match(await readFile(join(lowest, 'etc/passwd'), 'utf8'), /^root:/);
  assert.equal((await snapshotter.stat('work')).kind, 'active');
  await unmountAll(target);
  assert.deepEqual(await snapshotter.mounts('work'), mounts);

  await snapshotter.commit('work-done', 'work');
  assert.deepEqual(await snapshotter.stat('work-done'), {
    key: 'work-done', parent: top, kind: 'committed', createdAt: (await snapshotter.stat('work-done')).createdAt,
  });
  await assert.rejects(snapshotter.stat('work'), { code: 'NOT_FOUND' });
  const next = await snapshotter.prepare('next', 'work-done');
  assert.equal(option(next, 'lowerdir').split(':').length, 3);
  const nextTarget = await mountAt('next', next);
  assert.equal(await readFile(join(nextTarget, 'hello'), 'utf8'), 'hi\n');
  assert.equal(await exists(join(nextTarget, 'etc/group')), false);
  await unmountAll(nextTarget);

  const err = await kilnRejection(snapshotter.remove('work-done'));
  assert.equal(err.code, 'CONFLICT');
  await snapshotter.remove('next');
  await snapshotter.remove('work-done');
  await assert.rejects(snapshotter.stat('work-done'), { code: 'NOT_FOUND' });
});

test('a build step\'s snapshot is mounted volatile, a container\'s is not, and its commit is a plain layer', async () => {
  const step = await snapshotter.prepare('step', top, { volatile: true });
  assert.ok(step[0]?.options.includes('volatile'), JSON.stringify(step));
  assert.ok(!(await snapshotter.prepare('container', top))[0]?.options.includes('volatile'));
  const target = await mountAt('step', step);
  await writeFile(join(target, 'made'), 'in a step\n');
  await unmountAll(target);
  await snapshotter.commit('step-done', 'step');
  const over = await snapshotter.prepare('over-step', 'step-done');
  const overTarget = await mountAt('over-step', over);
  assert.equal(await readFile(join(overTarget, 'made'), 'utf8'), 'in a step\n');
  await unmountAll(overTarget);
  for (const key of ['over-step', 'step-done', 'container']) await snapshotter.remove(key);
});

test('a tree written without a mount commits as a snapshot over its parent, whole or not at all', async () => {
  await snapshotter.commitTree('tree', top, async (dir) => writeFile(join(dir, 'written'), 'no mount\n'));
  const over = await snapshotter.prepare('over-tree', 'tree');
  const target = await mountAt('over-tree', over);
  assert.equal(await readFile(join(target, 'written'), 'utf8'), 'no mount\n');
  await assertMergedView(target);
  await unmountAll(target);
  // A failing fill leaves nothing: no snapshot, no temp dir.
  await assert.rejects(snapshotter.commitTree('torn', top, async () => {
    throw new Error('fill failed');
  }), /fill failed/);
  await assert.rejects(snapshotter.stat('torn'), { code: 'NOT_FOUND' });
  assert.deepEqual((await readdir(join(store.root, 'snapshots'))).filter((name) => name.startsWith('tmp-')), []);
  assert.equal((await kilnRejection(snapshotter.commitTree('tree', top, async () => undefined))).code, 'ALREADY_EXISTS');
  // Over the copy driver the dir holds the parent's tree too, as its snapshots all do.
  const copying = new OverlaySnapshotter(store.root, { forceCopy: true });
  await copying.commitTree('tree-copied', top, async (dir) => writeFile(join(dir, 'written'), 'copied\n'));
  const { dir, full } = await copying.contentDir('tree-copied');
  assert.equal(full, true);
  assert.equal(await readFile(join(dir, 'written'), 'utf8'), 'copied\n');
  assert.equal(await exists(join(dir, 'bin/busybox')), true);
  for (const key of ['over-tree', 'tree']) await snapshotter.remove(key);
  await copying.remove('tree-copied');
});

test('prepare without a parent is a bind of an empty dir; keys are unique', async () => {
  const mounts = await snapshotter.prepare('scratch');
  assert.equal(mounts[0]?.type, 'bind');
  assert.deepEqual(await readdir(mounts[0]?.source as string), []);
  assert.equal((await kilnRejection(snapshotter.prepare('scratch'))).code, 'ALREADY_EXISTS');
  assert.equal((await kilnRejection(snapshotter.prepare('orphan', 'no-such-parent'))).code, 'NOT_FOUND');
  assert.equal((await kilnRejection(snapshotter.prepare('on-active', 'scratch'))).code, 'FAILED_PRECONDITION');
  await snapshotter.remove('scratch');
});

test('removeDeferred takes a snapshot away at once and leaves the deletion of its content running', async () => {
  const mounts = await snapshotter.prepare('deferred', top);
  const upper = option(mounts, 'upperdir');
  await writeFile(join(upper, 'written'), 'by the container');
  const { content } = await snapshotter.removeDeferred('deferred');
  // Gone for every reader, in this process and any other, before the content is deleted.
  assert.equal((await kilnRejection(snapshotter.stat('deferred'))).code, 'NOT_FOUND');
  assert.equal((await kilnRejection(new OverlaySnapshotter(store.root).stat('deferred'))).code, 'NOT_FOUND');
  await assert.rejects(lstat(upper), { code: 'ENOENT' });
  await content;
  const dir = join(store.root, 'snapshots');
  assert.deepEqual((await readdir(dir)).filter((name) => name.startsWith('tmp-')), []);
  assert.equal((await kilnRejection(snapshotter.removeDeferred('deferred'))).code, 'NOT_FOUND');
});

test('unpacking the same image again writes nothing; concurrent unpacks share the work', async () => {
  const dir = join(store.root, 'snapshots');
  const before = await Promise.all((await readdir(dir)).map(async (name) => [name, (await stat(join(dir, name))).mtimeMs] as const));
  const again = new OverlaySnapshotter(store.root);
  const tops = await Promise.all([again.unpack(store.content, store.layers, store.diffIds), snapshotter.unpack(store.content, store.layers, store.diffIds)]);
  assert.deepEqual(tops, [top, top]);
  const after = await Promise.all((await readdir(dir)).map(async (name) => [name, (await stat(join(dir, name))).mtimeMs] as const));
  assert.deepEqual(after, before);

  // Gone again, the top layer is unpacked by two snapshotters at once: one wins, neither fails.
  await snapshotter.remove(top);
  const racing = await Promise.all([again.unpack(store.content, store.layers, store.diffIds), snapshotter.unpack(store.content, store.layers, store.diffIds)]);
  assert.deepEqual(racing, [top, top]);
  assert.equal((await snapshotter.list()).filter((i) => i.key === top).length, 1);
  assert.deepEqual((await readdir(dir)).filter((name) => name.startsWith('tmp-')), []);
});

test('the copy fallback gives the same merged view through a bind mount', async () => {
  const copying = new OverlaySnapshotter(store.root, { forceCopy: true });
  assert.equal(await copying.driver(), 'copy');
  const mounts = await copying.prepare('copied', top);
  assert.deepEqual(mounts.map((m) => m.type), ['bind']);
  const target = await mountAt('copied', mounts);
  await assertMergedView(target);
  await writeFile(join(target, 'only-here'), 'x');
  assert.equal(await exists(join(mounts[0]?.source as string, 'only-here')), true);
  assert.equal(await getfattr(join(target, 'home'), 'trusted.overlay.opaque'), undefined);
  await unmountAll(target);
  // Committed, a full copy ends the chain: the overlay driver mounts it as the only lower.
  await copying.commit('copied-done', 'copied');
  const over = await snapshotter.prepare('over-copy', 'copied-done');
  assert.equal(option(over, 'lowerdir').split(':').length, 1);
  const overTarget = await mountAt('over-copy', over);
  await assertMergedView(overTarget);
  assert.equal(await exists(join(overTarget, 'only-here')), true);
  await unmountAll(overTarget);
  await snapshotter.remove('over-copy');
  await copying.remove('copied-done');
});
