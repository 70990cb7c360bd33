// `kiln tag` and `kiln rmi` on a real store: names come and go, and blobs are deleted only with
// the last name of the image that used them.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildBusyboxImage } from '../helpers/busybox-image.js';
import { kilnUser, type KilnUser } from '../helpers/kiln-env.js';
import { tempDir } from '../helpers/tmp.js';

const fixture = await buildBusyboxImage(join(await tempDir('tag-rmi'), 'layout'), { tag: 'busybox:1' });
const shortId = fixture.configDigest.slice('sha256:'.length, 'sha256:'.length + 12);

async function loadedUser(prefix: string): Promise<KilnUser> {
  const user = await kilnUser(prefix);
  const loaded = await user.kiln(['load', '-i', fixture.layoutDir]);
  assert.equal(loaded.status, 0, loaded.stderr);
  return user;
}

async function names(user: KilnUser): Promise<string[]> {
  const listed = await user.kiln(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
  assert.equal(listed.status, 0, listed.stderr);
  return listed.stdout.split('\n').filter((l) => l !== '').sort();
}

describe('kiln tag / rmi', () => {
  it('untags one name of two and deletes nothing, then deletes every blob with the last name', async () => {
    const user = await loadedUser('rmi-names');
    const tagged = await user.kiln(['tag', 'busybox:1', 'example.com/team/app:v2']);
    assert.equal(tagged.status, 0, tagged.stderr);
    assert.equal(tagged.stdout, '');
    assert.deepEqual(await names(user), [`busybox:1 ${shortId}`, `example.com/team/app:v2 ${shortId}`]);
    const blobs = (await user.blobs()).sort();
    assert.equal(blobs.length, 3);

    const untag = await user.kiln(['rmi', 'busybox:1']);
    assert.equal(untag.status, 0, untag.stderr);
    assert.equal(untag.stdout, 'Untagged: busybox:1\n');
    assert.deepEqual(await names(user), [`example.com/team/app:v2 ${shortId}`]);
    assert.deepEqual((await user.blobs()).sort(), blobs);

    const last = await user.kiln(['image', 'rm', 'example.com/team/app:v2']);
    assert.equal(last.status, 0, last.stderr);
    const lines = last.stdout.trimEnd().split('\n');
    assert.equal(lines[0], 'Untagged: example.com/team/app:v2');
    assert.equal(lines[1], `Deleted: ${fixture.configDigest}`);
    assert.deepEqual(lines.slice(1).sort(), [fixture.configDigest, fixture.layerDigest, fixture.manifestDigest].map((d) => `Deleted: ${d}`).sort());
    assert.deepEqual(await user.blobs(), []);
    assert.deepEqual(await names(user), []);
  });

  it('refuses to remove by ID an image with two names unless forced', async () => {
    const user = await loadedUser('rmi-id');
    assert.equal((await user.kiln(['tag', 'busybox:1', 'busybox:2'])).status, 0);
    const refused = await user.kiln(['rmi', shortId]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /must be forced/);
    assert.equal((await names(user)).length, 2);

    const forced = await user.kiln(['rmi', '-f', shortId]);
    assert.equal(forced.status, 0, forced.stderr);
    assert.deepEqual(forced.stdout.split('\n').filter((l) => l.startsWith('Untagged: ')).sort(), ['Untagged: busybox:1', 'Untagged: busybox:2']);
    assert.ok(forced.stdout.includes(`Deleted: ${fixture.configDigest}\n`), forced.stdout);
    assert.deepEqual(await user.blobs(), []);
  });

  it('fails with "No such image" for an unknown name, and still removes the known ones given with it', async () => {
    const user = await loadedUser('rmi-unknown');
    const removed = await user.kiln(['rmi', 'nosuch:1', 'busybox:1']);
    assert.equal(removed.status, 1);
    assert.match(removed.stderr, /No such image: nosuch:1/);
    assert.ok(removed.stdout.startsWith('Untagged: busybox:1\n'), removed.stdout);
    assert.deepEqual(await user.blobs(), []);
    const tagUnknown = await user.kiln(['tag', 'nosuch:1', 'other:1']);
    assert.equal(tagUnknown.status, 1);
    assert.match(tagUnknown.stderr, /No such image: nosuch:1/);
  });
});
