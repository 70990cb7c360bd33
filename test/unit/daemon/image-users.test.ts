// The user database kept per image: read once through a view of the layers (real overlayfs
// for a multi-layer chain, the layer dir itself for one layer), then from the kept file.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { imageUserDatabase } from '../../../src/daemon/containers/image-users.js';
import { chainIds, OverlaySnapshotter } from '../../../src/snapshot/index.js';
import { canRunContainers } from '../../helpers/kiln-env.js';
import { makeStore, mountsUnder, type Store } from '../snapshot/snapshotter-fixture.js';

const store: Store = await makeStore([]);
const snapshotter = new OverlaySnapshotter(store.root);

describe('imageUserDatabase', { skip: canRunContainers ? false : 'needs root to mount' }, () => {
  it('reads the merged files of a layer chain once, whiteouts honoured, and keeps them', async () => {
    const top = await snapshotter.unpack(store.content, store.layers, store.diffIds);
    const database = await imageUserDatabase(snapshotter, top, store.root);
    assert.match(database.passwd ?? '', /^root:x:0:0:/);
    assert.equal(database.group, undefined, 'the top layer whites /etc/group out');
    assert.deepEqual(await mountsUnder(store.root), []);
    const keys = (await snapshotter.list()).map((info) => info.key);
    assert.deepEqual(keys.sort(), [...chainIds(store.diffIds)].sort(), 'the view is gone again');
    // The kept file answers from now on, without another view.
    const kept = await snapshotter.derivedFile(top, 'user-database.json');
    await writeFile(kept, JSON.stringify({ passwd: 'kept:x:7:7::/:/bin/sh\n' }));
    assert.deepEqual(await imageUserDatabase(snapshotter, top, store.root), { passwd: 'kept:x:7:7::/:/bin/sh\n' });
  });

  it('reads a one-layer image from its layer directory', async () => {
    const [base] = chainIds(store.diffIds);
    const database = await imageUserDatabase(snapshotter, base as string, store.root);
    assert.match(database.passwd ?? '', /^root:/m);
    assert.match(database.group ?? '', /^root:/m);
    const kept = JSON.parse(await readFile(await snapshotter.derivedFile(base as string, 'user-database.json'), 'utf8')) as unknown;
    assert.deepEqual(kept, database);
  });
});
