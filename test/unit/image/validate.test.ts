// Validation of untrusted index, manifest and config documents: good documents of both
// formats are accepted unchanged, and each kind of defect is reported with the field's path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseImageConfig, parseIndex, parseManifest } from '../../../src/image/index.js';
import { KilnError } from '../../../src/util/errors.js';

type Doc = Record<string, any>;

const digestOf = (name: string): string => `sha256:${createHash('sha256').update(name).digest('hex')}`;

function ociManifest(): Doc {
  return {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf('config'), size: 1469 },
    layers: [0, 1, 2].map((i) => ({
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digestOf(`layer${i}`), size: 3_000_000 + i,
    })),
    annotations: { 'org.opencontainers.image.created': '2026-11-01T00:00:00Z' },
  };
}

function dockerManifest(): Doc {
  return {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 7023, digest: digestOf('config') },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 32654, digest: digestOf('l') }],
  };
}

function ociIndex(): Doc {
  return {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestOf('amd64'), size: 1021,
        platform: { architecture: 'amd64', os: 'linux' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestOf('win'), size: 1190,
        platform: { architecture: 'amd64', os: 'windows', 'os.version': '10.0.20348.2227', 'os.features': ['win32k'] },
        annotations: { 'org.opencontainers.image.ref.name': '1.0' }, urls: [] },
    ],
  };
}

function dockerConfig(): Doc {
  return {
    architecture: 'amd64',
    config: {
      Hostname: '', User: 'app', Env: ['PATH=/usr/local/bin:/usr/bin'], Cmd: ['/bin/sh'], Entrypoint: null,
      WorkingDir: '/srv', OnBuild: null, Labels: { maintainer: 'kiln' }, Volumes: { '/data': {} },
      ExposedPorts: { '80/tcp': {} }, StopSignal: 'SIGTERM', ArgsEscaped: true, Shell: ['/bin/sh', '-c'],
      Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 30_000_000_000, Retries: 3 },
    },
    container: 'f7d3e1', docker_version: '20.10.7',
    created: '2026-11-01T10:00:00.123456789Z', os: 'linux',
    rootfs: { type: 'layers', diff_ids: [digestOf('diff0'), digestOf('diff1')] },
    history: [
      { created: '2026-11-01T09:00:00Z', created_by: '/bin/sh -c #(nop) ADD file:abc in / ' },
      { created: '2026-11-01T09:00:01Z', created_by: 'CMD ["/bin/sh"]', empty_layer: true, comment: 'buildkit.dockerfile.v0' },
    ],
  };
}

test('OCI and Docker manifests are accepted unchanged', () => {
  for (const doc of [ociManifest(), dockerManifest()]) {
    assert.deepEqual(parseManifest(JSON.stringify(doc)), doc);
  }
});

test('a manifest without mediaType is accepted when its shape fits', () => {
  const doc = ociManifest();
  delete doc['mediaType'];
  assert.deepEqual(parseManifest(JSON.stringify(doc)).layers.length, 3);
});

test('indexes of both formats, and without mediaType, are accepted', () => {
  const docker = { ...ociIndex(), mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json' };
  const bare = ociIndex();
  delete bare['mediaType'];
  for (const doc of [ociIndex(), docker, bare]) assert.deepEqual(parseIndex(JSON.stringify(doc)), doc);
});

test('bytes are decoded as UTF-8', () => {
  const doc = dockerManifest();
  assert.deepEqual(parseManifest(new TextEncoder().encode(JSON.stringify(doc))), doc);
});

test('an image config keeps unknown fields and reads Go nulls as absent', () => {
  const config = parseImageConfig(JSON.stringify(dockerConfig()));
  assert.equal(config.config?.Entrypoint, undefined);
  assert.equal('OnBuild' in (config.config ?? {}), false);
  assert.deepEqual(config.config?.Cmd, ['/bin/sh']);
  assert.equal((config as unknown as Doc)['docker_version'], '20.10.7');
  assert.equal(config.history?.[1]?.empty_layer, true);
});

test('an image config without layers may omit diff_ids', () => {
  const doc = { architecture: 'arm64', os: 'linux', variant: 'v8', rootfs: { type: 'layers' } };
  assert.deepEqual(parseImageConfig(JSON.stringify(doc)).rootfs, { type: 'layers', diff_ids: [] });
});

interface BadCase {
  name: string;
  parse: (json: string | Uint8Array) => unknown;
  input: string | Uint8Array | ((doc: Doc) => void);
  message: string;
}

const badManifests: BadCase[] = [
  { name: 'text that is not JSON', parse: parseManifest, input: '{"schemaVersion": 2,', message: 'manifest: not valid JSON' },
  { name: 'bytes that are not UTF-8', parse: parseManifest, input: new Uint8Array([0x7b, 0xff, 0x7d]), message: 'manifest: not valid UTF-8' },
  { name: 'a JSON array', parse: parseManifest, input: '[]', message: 'manifest: must be an object' },
  { name: 'schema 1', parse: parseManifest, input: (d) => { d['schemaVersion'] = 1; }, message: 'manifest.schemaVersion: schema 1 manifests are not supported' },
  { name: 'schema 1 fsLayers', parse: parseManifest, input: (d) => { d['fsLayers'] = []; }, message: 'manifest.schemaVersion: schema 1 manifests are not supported' },
  { name: 'a missing schemaVersion', parse: parseManifest, input: (d) => { delete d['schemaVersion']; }, message: 'manifest.schemaVersion: must be 2' },
  { name: 'a non-string mediaType', parse: parseManifest, input: (d) => { d['mediaType'] = 2; }, message: 'manifest.mediaType: must be a string' },
  { name: 'an index mediaType', parse: parseManifest, input: (d) => { d['mediaType'] = 'application/vnd.oci.image.index.v1+json'; },
    message: 'manifest.mediaType: "application/vnd.oci.image.index.v1+json" is not a manifest media type' },
  { name: 'an index shape', parse: parseManifest, input: (d) => { delete d['mediaType']; d['manifests'] = []; },
    message: 'manifest.manifests: found in a manifest (is this an index?)' },
  { name: 'no config', parse: parseManifest, input: (d) => { delete d['config']; }, message: 'manifest.config: is required' },
  { name: 'layers that are not an array', parse: parseManifest, input: (d) => { d['layers'] = {}; }, message: 'manifest.layers: must be an array' },
  { name: 'a layer that is not an object', parse: parseManifest, input: (d) => { d['layers'][1] = 'sha256:00'; }, message: 'manifest.layers[1]: must be an object' },
  { name: 'a bad layer digest', parse: parseManifest, input: (d) => { d['layers'][2].digest = d['layers'][2].digest.toUpperCase(); },
    message: 'manifest.layers[2].digest: not a valid digest' },
  { name: 'a sha512 config digest', parse: parseManifest, input: (d) => { d['config'].digest = `sha512:${'a'.repeat(128)}`; },
    message: 'manifest.config.digest: not a valid digest' },
  { name: 'a negative size', parse: parseManifest, input: (d) => { d['layers'][0].size = -1; },
    message: 'manifest.layers[0].size: not a valid size (a non-negative integer)' },
  { name: 'a fractional size', parse: parseManifest, input: (d) => { d['config'].size = 1.5; },
    message: 'manifest.config.size: not a valid size (a non-negative integer)' },
  { name: 'a size beyond 2^53', parse: parseManifest, input: (d) => { d['config'].size = 2 ** 53; },
    message: 'manifest.config.size: not a valid size (a non-negative integer)' },
  { name: 'a size given as a string', parse: parseManifest, input: (d) => { d['config'].size = '12'; },
    message: 'manifest.config.size: not a valid size (a non-negative integer)' },
  { name: 'a missing descriptor mediaType', parse: parseManifest, input: (d) => { delete d['layers'][0].mediaType; },
    message: 'manifest.layers[0].mediaType: is required' },
  { name: 'an empty descriptor mediaType', parse: parseManifest, input: (d) => { d['config'].mediaType = ''; },
    message: 'manifest.config.mediaType: must not be empty' },
  { name: 'a non-string annotation', parse: parseManifest, input: (d) => { d['annotations'] = { a: 1 }; },
    message: 'manifest.annotations["a"]: must be a string' },
  { name: 'urls that are not strings', parse: parseManifest, input: (d) => { d['layers'][0].urls = [null]; },
    message: 'manifest.layers[0].urls[0]: must be a string' },
  { name: 'a bad subject', parse: parseManifest, input: (d) => { d['subject'] = { mediaType: 'x', digest: 'sha256:1', size: 1 }; },
    message: 'manifest.subject.digest: not a valid digest' },
];

const badIndexes: BadCase[] = [
  { name: 'a manifest mediaType', parse: parseIndex, input: (d) => { d['mediaType'] = 'application/vnd.docker.distribution.manifest.v2+json'; },
    message: 'index.mediaType: "application/vnd.docker.distribution.manifest.v2+json" is not an index media type' },
  { name: 'a manifest shape', parse: parseIndex, input: (d) => { d['layers'] = []; }, message: 'index.layers: found in an index (is this a manifest?)' },
  { name: 'schemaVersion 3', parse: parseIndex, input: (d) => { d['schemaVersion'] = 3; }, message: 'index.schemaVersion: must be 2' },
  { name: 'no manifests', parse: parseIndex, input: (d) => { d['manifests'] = null; }, message: 'index.manifests: is required' },
  { name: 'a platform without os', parse: parseIndex, input: (d) => { delete d['manifests'][1].platform.os; },
    message: 'index.manifests[1].platform.os: is required' },
  { name: 'os.features that are not an array', parse: parseIndex, input: (d) => { d['manifests'][1].platform['os.features'] = 'win32k'; },
    message: 'index.manifests[1].platform.os.features: must be an array' },
  { name: 'a non-string variant', parse: parseIndex, input: (d) => { d['manifests'][0].platform.variant = 8; },
    message: 'index.manifests[0].platform.variant: must be a string' },
];

const badConfigs: BadCase[] = [
  { name: 'no architecture', parse: parseImageConfig, input: (d) => { delete d['architecture']; }, message: 'config.architecture: is required' },
  { name: 'an empty os', parse: parseImageConfig, input: (d) => { d['os'] = ''; }, message: 'config.os: must not be empty' },
  { name: 'a numeric created', parse: parseImageConfig, input: (d) => { d['created'] = 1700000000; }, message: 'config.created: must be a string' },
  { name: 'no rootfs', parse: parseImageConfig, input: (d) => { delete d['rootfs']; }, message: 'config.rootfs: is required' },
  { name: 'a rootfs of another type', parse: parseImageConfig, input: (d) => { d['rootfs'].type = 'layer'; }, message: 'config.rootfs.type: must be "layers"' },
  { name: 'a bad diff_id', parse: parseImageConfig, input: (d) => { d['rootfs'].diff_ids[1] = 'sha256:abc'; }, message: 'config.rootfs.diff_ids[1]: not a valid digest' },
  { name: 'an execution config that is not an object', parse: parseImageConfig, input: (d) => { d['config'] = []; }, message: 'config.config: must be an object' },
  { name: 'an Env entry that is not a string', parse: parseImageConfig, input: (d) => { d['config'].Env.push(42); }, message: 'config.config.Env[1]: must be a string' },
  { name: 'a Cmd string', parse: parseImageConfig, input: (d) => { d['config'].Cmd = '/bin/sh'; }, message: 'config.config.Cmd: must be an array' },
  { name: 'an ExposedPorts value that is not an object', parse: parseImageConfig, input: (d) => { d['config'].ExposedPorts['80/tcp'] = true; },
    message: 'config.config.ExposedPorts["80/tcp"]: must be an object' },
  { name: 'a non-string label', parse: parseImageConfig, input: (d) => { d['config'].Labels.version = 2; }, message: 'config.config.Labels["version"]: must be a string' },
  { name: 'a fractional Healthcheck interval', parse: parseImageConfig, input: (d) => { d['config'].Healthcheck.Interval = 0.5; },
    message: 'config.config.Healthcheck.Interval: must be an integer' },
  { name: 'a string ArgsEscaped', parse: parseImageConfig, input: (d) => { d['config'].ArgsEscaped = 'true'; }, message: 'config.config.ArgsEscaped: must be a boolean' },
  { name: 'history that is not an array', parse: parseImageConfig, input: (d) => { d['history'] = {}; }, message: 'config.history: must be an array' },
  { name: 'a string empty_layer', parse: parseImageConfig, input: (d) => { d['history'][0].empty_layer = 'yes'; }, message: 'config.history[0].empty_layer: must be a boolean' },
];

const bases = new Map<unknown, () => Doc>([[parseManifest, ociManifest], [parseIndex, ociIndex], [parseImageConfig, dockerConfig]]);

for (const c of [...badManifests, ...badIndexes, ...badConfigs]) {
  test(`${c.parse.name} refuses ${c.name}`, () => {
    let input = c.input;
    if (typeof input === 'function') {
      const doc = bases.get(c.parse)!();
      input(doc);
      input = JSON.stringify(doc);
    }
    const bytes = input;
    assert.throws(
      () => c.parse(bytes),
      (err: unknown) => {
        assert.ok(err instanceof KilnError);
        assert.equal(err.code, 'INVALID_ARGUMENT');
        assert.ok(err.message.startsWith(c.message), `${err.message} should start with ${c.message}`);
        return true;
      },
    );
  });
}
