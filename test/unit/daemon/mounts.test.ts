// Parsing `run -v` and `run --mount` specs, and ordering the spec's bind mounts.
import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  anonymousVolumes, containerMounts, imageVolumeMounts, parseContainerMounts, parseMountSpec, parseVolumeSpec, resolveMounts,
} from '../../../src/daemon/containers/mounts.js';
import type { BindMount } from '../../../src/executor/index.js';
import { kilnErrorOf, kilnRejection } from '../../helpers/errors.js';
import { tempDir } from '../../helpers/tmp.js';

describe('parseVolumeSpec (-v)', () => {
  it('reads named volumes, binds and anonymous volumes with their modes', () => {
    assert.deepEqual(parseVolumeSpec('data:/data'), { type: 'volume', name: 'data', destination: '/data', readonly: false, anonymous: false, noCopy: false });
    assert.deepEqual(parseVolumeSpec('/srv/x/:/mnt/y/:ro'), { type: 'bind', source: '/srv/x/', destination: '/mnt/y', readonly: true, createHostPath: true });
    assert.deepEqual(parseVolumeSpec('v.1:/a//b:rw,nocopy'), { type: 'volume', name: 'v.1', destination: '/a/b', readonly: false, anonymous: false, noCopy: true });
    const anonymous = parseVolumeSpec('/cache');
    assert.equal(anonymous.type, 'volume');
    assert.match(anonymous.type === 'volume' ? anonymous.name : '', /^[a-f0-9]{64}$/);
    assert.deepEqual(anonymousVolumes([anonymous, parseVolumeSpec('data:/data')]), [anonymous.type === 'volume' ? anonymous.name : '']);
  });

  it('refuses bad specs as INVALID_ARGUMENT naming --volume and the spec', () => {
    for (const [spec, reason] of [
      ['data:rel', /mount path must be absolute/], ['', /no empty part/], ['data::/x', /no empty part/], ['a:b:c:d', /no empty part/],
      ['data:/x:rx', /invalid mode: rx/], ['./rel:/x', /invalid characters/], ['data:/', /destination can't be '\/'/],
      ['/ctr:ro', /'ro' mount path must be absolute/],
    ] as const) {
      const err = kilnErrorOf(() => parseVolumeSpec(spec));
      assert.equal(err.code, 'INVALID_ARGUMENT');
      assert.equal(err.details.flag, '--volume');
      assert.ok(err.message.startsWith(`--volume: invalid volume specification: '${spec}'`), err.message);
      assert.match(err.message, reason);
    }
  });
});

describe('parseMountSpec (--mount)', () => {
  it('reads the CSV fields with their aliases and a bare or explicit readonly', () => {
    assert.deepEqual(parseMountSpec('type=bind,src=/h,dst=/c,readonly'), { type: 'bind', source: '/h', destination: '/c', readonly: true, createHostPath: false });
    assert.deepEqual(parseMountSpec('source=data,destination=/d,ro=false'), { type: 'volume', name: 'data', destination: '/d', readonly: false, anonymous: false, noCopy: false });
    assert.deepEqual(parseMountSpec('type=volume,source=data,target=/d,volume-nocopy,ro=1'), { type: 'volume', name: 'data', destination: '/d', readonly: true, anonymous: false, noCopy: true });
    const anonymous = parseMountSpec('target=/d');
    assert.equal(anonymous.type === 'volume' && anonymous.anonymous, true);
  });

  it('refuses unknown keys, types and values, and missing fields', () => {
    for (const [spec, reason] of [
      ['target=/d,color=red', /unexpected key 'color'/], ['type=tmpfs,target=/d', /mount type "tmpfs"/], ['source=data', /target is required/],
      ['type=bind,target=/d', /absolute source/], ['type=bind,source=rel,target=/d', /absolute source/], ['target=/d,readonly=maybe', /invalid value for readonly/],
      ['type=volume,source=/host,target=/d', /use type=bind/], ['target=', /key=value/], ['target=rel', /must be absolute/],
    ] as const) {
      const err = kilnErrorOf(() => parseMountSpec(spec));
      assert.equal(err.details.flag, '--mount');
      assert.match(err.message, reason);
    }
  });
});

describe('parseContainerMounts', () => {
  it('refuses a duplicate mount point across -v and --mount, and a missing --mount bind source', async () => {
    const dup = await kilnRejection(parseContainerMounts({ volumes: ['one:/x'], mounts: ['source=two,target=/x/'] }));
    assert.match(dup.message, /^--mount: .*Duplicate mount point: \/x$/);
    const missing = await kilnRejection(parseContainerMounts({ mounts: ['type=bind,source=/no/such/kiln,target=/x'] }));
    assert.match(missing.message, /bind source path does not exist: \/no\/such\/kiln/);
    assert.equal((await parseContainerMounts({ volumes: ['/no/such/kiln:/x'] })).length, 1, '-v creates the host path later');
  });
});

describe('resolveMounts and containerMounts', () => {
  it('creates volumes filled from the rootfs (symlinks resolved inside it) and orders parents first', async () => {
    const dir = await tempDir('mounts');
    const rootfs = join(dir, 'rootfs');
    await mkdir(join(rootfs, 'real'), { recursive: true });
    await writeFile(join(rootfs, 'real', 'file'), 'image\n');
    await symlink('/real', join(rootfs, 'link'));
    const root = join(dir, 'root');
    const mounts = await parseContainerMounts({ volumes: ['data:/link', `${dir}/host/new:/h:ro`] });
    const binds = await resolveMounts(root, rootfs, mounts);
    const data = join(root, 'volumes', 'data', '_data');
    assert.deepEqual(binds, [
      { destination: '/link', source: data, type: 'bind', options: ['rbind', 'rprivate'] },
      { destination: '/h', source: `${dir}/host/new`, type: 'bind', options: ['rbind', 'ro', 'rprivate'] },
    ]);
    assert.equal(await readFile(join(data, 'file'), 'utf8'), 'image\n');
    // A volume that is no longer empty keeps its own content.
    await writeFile(join(rootfs, 'real', 'file'), 'changed\n');
    await resolveMounts(root, rootfs, mounts);
    assert.equal(await readFile(join(data, 'file'), 'utf8'), 'image\n');

    const bind = (destination: string): BindMount => ({ destination, source: '/s', type: 'bind', options: [] });
    const ordered = containerMounts([bind('/etc/hosts'), bind('/etc/hostname')], [bind('/etc/hostname'), bind('/etc'), bind('/a/b/c')]);
    assert.deepEqual(ordered.map((m) => m.destination), ['/etc', '/etc/hosts', '/etc/hostname', '/a/b/c']);
  });
});

describe('imageVolumeMounts (an image\'s VOLUMEs)', () => {
  it('gives each path the run does not mount an anonymous volume that takes the image\'s files', () => {
    const own = [parseVolumeSpec('data:/data')];
    const mounts = imageVolumeMounts({ '/data': {}, '/logs/': {}, '/cache//x': {}, '/': {} }, own);
    assert.deepEqual(mounts.map((mount) => [mount.destination, mount.anonymous, mount.noCopy, mount.readonly]), [['/logs', true, false, false], ['/cache/x', true, false, false]]);
    assert.equal(new Set(mounts.map((mount) => mount.name)).size, 2);
    assert.deepEqual(anonymousVolumes(mounts).length, 2);
    assert.deepEqual(imageVolumeMounts(undefined, own), []);
  });
});
