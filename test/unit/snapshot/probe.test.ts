import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cachedProbe, probeOverlay } from '../../../src/snapshot/probe.js';
import { canRunContainers } from '../../helpers/kiln-env.js';
import { tempDir } from '../../helpers/tmp.js';

const dir = await tempDir('probe');

describe('overlay probe', { skip: canRunContainers ? false : 'needs root to mount' }, () => {
  it('mounts overlay here, volatile too (Linux 5.10+), and leaves nothing behind', async () => {
    assert.deepEqual(await probeOverlay(dir), { driver: 'overlay', volatile: true });
    assert.deepEqual(await readdir(dir), []);
    assert.ok(!(await readFile('/proc/self/mountinfo', 'utf8')).includes(dir));
  });

  it('keeps the answer for this boot and asks again after another boot', async () => {
    const boot = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
    const found = { driver: 'overlay', volatile: true };
    assert.deepEqual(await cachedProbe(dir), found);
    const record = join(dir, 'driver.json');
    assert.deepEqual(JSON.parse(await readFile(record, 'utf8')), { ...found, bootId: boot });
    // A record of this boot is believed as it stands, without a trial mount.
    await writeFile(record, JSON.stringify({ driver: 'copy', volatile: false, bootId: boot }));
    assert.deepEqual(await cachedProbe(dir), { driver: 'copy', volatile: false });
    // One from another boot, an older one that did not try volatile, or a damaged one, is probed again and replaced.
    for (const stale of [JSON.stringify({ driver: 'copy', volatile: false, bootId: 'another-boot' }), JSON.stringify({ driver: 'overlay', bootId: boot }), '{not json']) {
      await writeFile(record, stale);
      assert.deepEqual(await cachedProbe(dir), found);
      assert.deepEqual(JSON.parse(await readFile(record, 'utf8')), { ...found, bootId: boot });
    }
  });
});
