// A snapshot's tree read from disk as a COPY source: a whiteout left in a layer dir read in
// place (a 0/0 character device hiding nothing below) is not part of the tree, as a mount of
// the snapshot would not show it; any other tree keeps what it has.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { directorySource } from '../../../src/ops/copy-tree.js';
import { canRunContainers } from '../../helpers/kiln-env.js';
import { tempDir } from '../../helpers/tmp.js';

describe('COPY sources on disk', { skip: canRunContainers ? false : 'needs root for mknod' }, () => {
  it('leaves a layer dir\'s whiteouts out of a snapshot\'s tree, and only there', async () => {
    const dir = await tempDir('copy-tree-whiteout');
    await mkdir(join(dir, 'w'));
    await writeFile(join(dir, 'w', 'kept'), 'kept\n');
    execFileSync('mknod', [join(dir, 'w', 'gone'), 'c', '0', '0']);
    assert.deepEqual(await directorySource(dir, { snapshot: true }).children('w'), ['kept']);
    assert.deepEqual(await directorySource(dir).children('w'), ['gone', 'kept']);
  });
});
