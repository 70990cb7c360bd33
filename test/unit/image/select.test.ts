// Platform matching (containerd's default matcher, as docker pull uses it) and the choice of
// a manifest from a realistic multi-platform index with BuildKit attestations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  availablePlatforms, compatiblePlatforms, formatPlatform, fromOCIPlatform, matchesPlatform, noMatchingManifestError,
  parseIndex, parsePlatform, selectManifest, toOCIPlatform, type Descriptor, type ImageIndex, type OCIPlatform, type Platform,
} from '../../../src/image/index.js';

const amd64Host: Platform = { os: 'linux', architecture: 'amd64' };
const platform = (spec: string): Platform => parsePlatform(spec, amd64Host);
const digestOf = (name: string): string => `sha256:${createHash('sha256').update(name).digest('hex')}`;

const matchTable: Array<[want: string, have: string, runs: boolean]> = [
  ['linux/amd64', 'linux/amd64', true],
  ['linux/amd64', 'linux/x86_64', true],
  ['linux/amd64', 'linux/386', true],
  ['linux/amd64', 'linux/arm64', false],
  ['linux/amd64', 'windows/amd64', false],
  ['linux/amd64', 'linux/amd64/v2', false],
  ['linux/amd64/v3', 'linux/amd64/v2', true],
  ['linux/amd64/v3', 'linux/amd64', true],
  ['linux/amd64/v3', 'linux/386', true],
  ['linux/amd64/v2', 'linux/amd64/v3', false],
  ['linux/386', 'linux/amd64', false],
  ['linux/arm64', 'linux/arm64/v8', true],
  ['linux/arm64/v8', 'linux/arm64', true],
  ['linux/aarch64', 'linux/arm64', true],
  ['linux/arm64', 'linux/arm/v8', true],
  ['linux/arm64', 'linux/arm/v7', true],
  ['linux/arm64', 'linux/arm/v5', true],
  ['linux/arm64', 'linux/arm64/v9', false],
  ['linux/arm64', 'linux/arm64/v8.1', false],
  ['linux/arm64/v8.2', 'linux/arm64/v8.1', true],
  ['linux/arm64/v9', 'linux/arm64', true],
  ['linux/arm64/v9', 'linux/arm64/v8.5', true],
  ['linux/arm64/v9', 'linux/arm64/v8.6', false],
  ['linux/arm64/v9.1', 'linux/arm64/v8.6', true],
  ['linux/arm/v7', 'linux/arm', true],
  ['linux/arm/v7', 'linux/arm/v6', true],
  ['linux/arm/v7', 'linux/arm/v5', true],
  ['linux/arm/v7', 'linux/arm64', false],
  ['linux/arm/v6', 'linux/arm/v7', false],
  ['linux/arm/v5', 'linux/arm/v6', false],
  ['linux/armhf', 'linux/arm/v7', true],
  ['linux/ppc64le', 'linux/ppc64le', true],
  ['linux/s390x', 'linux/ppc64le', false],
  ['windows(10.0.17763)/amd64', 'windows(10.0.20348)/amd64', true],
];

for (const [want, have, runs] of matchTable) {
  test(`${want} ${runs ? 'runs' : 'does not run'} ${have}`, () => {
    assert.equal(matchesPlatform(platform(want), platform(have)), runs);
  });
}

test('the fallbacks come best first', () => {
  assert.deepEqual(compatiblePlatforms(platform('linux/arm64/v9.1')).map(formatPlatform), [
    'linux/arm64/v9.1', 'linux/arm64/v9', 'linux/arm64/v8.6', 'linux/arm64/v8.5', 'linux/arm64/v8.4', 'linux/arm64/v8.3',
    'linux/arm64/v8.2', 'linux/arm64/v8.1', 'linux/arm64', 'linux/arm/v8', 'linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5',
  ]);
  assert.deepEqual(compatiblePlatforms(platform('linux/amd64/v3')).map(formatPlatform), [
    'linux/amd64/v3', 'linux/amd64/v2', 'linux/amd64', 'linux/386',
  ]);
});

test('every platform runs its own images, in any spelling of it', () => {
  const specs = ['linux/amd64', 'linux/x86_64', 'linux/arm64/v8', 'linux/aarch64', 'linux/arm', 'linux/armhf', 'linux/arm/v6',
    'linux/386', 'linux/i386', 'windows/amd64', 'linux/riscv64', 'linux/amd64/v4', 'linux/arm64/v9.3'];
  fc.assert(fc.property(fc.constantFrom(...specs), (spec) => matchesPlatform(platform(spec), platform(spec))));
});

// The shape `docker buildx build --platform ... --push` produces: one image manifest per
// platform, each followed in the index by its provenance attestation.
function image(p: OCIPlatform): Descriptor {
  const digest = digestOf(formatPlatform(fromOCIPlatform(p))) as Descriptor['digest'];
  return { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 1611, platform: p };
}

function attestationFor(subject: Descriptor): Descriptor {
  return {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: digestOf(`attestation ${subject.digest}`) as Descriptor['digest'],
    size: 839,
    annotations: { 'vnd.docker.reference.digest': subject.digest, 'vnd.docker.reference.type': 'attestation-manifest' },
    platform: { architecture: 'unknown', os: 'unknown' },
  };
}

const images = [
  { architecture: 'amd64', os: 'linux' },
  { architecture: 'arm', os: 'linux', variant: 'v6' },
  { architecture: 'arm', os: 'linux', variant: 'v7' },
  { architecture: 'arm64', os: 'linux', variant: 'v8' },
  { architecture: '386', os: 'linux' },
  { architecture: 'ppc64le', os: 'linux' },
  { architecture: 's390x', os: 'linux' },
].map(image);
const multiArch = parseIndex(JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  manifests: [...images, ...images.map(attestationFor)],
}));

const chosen = (spec: string, index: Pick<ImageIndex, 'manifests'> = multiArch): string | undefined => {
  const desc = selectManifest(index, platform(spec));
  return desc?.platform && formatPlatform(fromOCIPlatform(desc.platform));
};

test('selectManifest picks the exact platform', () => {
  assert.equal(chosen('linux/amd64'), 'linux/amd64');
  assert.equal(chosen('linux/arm64'), 'linux/arm64/v8');
  assert.equal(chosen('linux/s390x'), 'linux/s390x');
  assert.deepEqual(selectManifest(multiArch, platform('linux/amd64')), images[0]);
});

test('selectManifest prefers the exact variant over an older one listed first', () => {
  assert.equal(chosen('linux/arm/v7'), 'linux/arm/v7');
  assert.equal(chosen('linux/arm/v6'), 'linux/arm/v6');
});

test('selectManifest falls back to the newest compatible variant', () => {
  const armOnly = { manifests: [images[1]!, images[2]!, images[4]!] };
  assert.equal(chosen('linux/arm/v8', armOnly), 'linux/arm/v7');
  assert.equal(chosen('linux/arm64', armOnly), 'linux/arm/v7');
  assert.equal(chosen('linux/amd64', armOnly), 'linux/386');
});

test('selectManifest never picks an attestation', () => {
  const attestations = { manifests: images.map(attestationFor) };
  assert.equal(selectManifest(attestations, platform('linux/amd64')), undefined);
  // Some tools mark the attestation only by its annotation and copy the image's platform.
  const marked = { ...attestationFor(images[0]!), platform: { architecture: 'amd64', os: 'linux' } };
  assert.equal(selectManifest({ manifests: [marked, images[0]!] }, platform('linux/amd64')), images[0]);
});

test('selectManifest skips artifacts and non-manifest entries', () => {
  const signature: Descriptor = { ...images[0]!, artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json' };
  const layer: Descriptor = { ...images[0]!, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' };
  assert.equal(selectManifest({ manifests: [signature, layer] }, platform('linux/amd64')), undefined);
});

test('an entry without a platform is the last resort, and the first of equals wins', () => {
  const { platform: _, ...anyPlatform } = images[5]!;
  const second = { ...images[0]!, digest: digestOf('second') as Descriptor['digest'] };
  assert.equal(selectManifest({ manifests: [anyPlatform, images[4]!] }, platform('linux/amd64')), images[4]);
  assert.equal(selectManifest({ manifests: [anyPlatform, images[4]!] }, platform('linux/mips64le')), anyPlatform);
  assert.equal(selectManifest({ manifests: [images[0]!, second] }, platform('linux/amd64')), images[0]);
});

test('nothing matches: undefined, and the error docker prints', () => {
  assert.equal(selectManifest(multiArch, platform('linux/riscv64')), undefined);
  const err = noMatchingManifestError(platform('linux/riscv64'), multiArch);
  assert.equal(err.code, 'NOT_FOUND');
  assert.equal(err.message, 'no matching manifest for linux/riscv64 in the manifest list entries');
  assert.equal(err.hint, 'the image is available for linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64/v8, linux/386, linux/ppc64le, linux/s390x; choose one with --platform');
  assert.equal(noMatchingManifestError(platform('windows/amd64')).message, 'no matching manifest for windows/amd64 in the manifest list entries');
  assert.equal(noMatchingManifestError(platform('windows/amd64')).hint, undefined);
});

test('availablePlatforms lists image platforms once, without attestations', () => {
  assert.deepEqual(availablePlatforms({ manifests: [...images.slice(0, 2), images[0]!, attestationFor(images[0]!)] }), ['linux/amd64', 'linux/arm/v6']);
});

test('wire platforms convert to and from the in-memory form', () => {
  const wire: OCIPlatform = { architecture: 'amd64', os: 'windows', 'os.version': '10.0.20348.2227', 'os.features': ['win32k'] };
  assert.deepEqual(fromOCIPlatform(wire), { os: 'windows', architecture: 'amd64', osVersion: '10.0.20348.2227', osFeatures: ['win32k'] });
  assert.deepEqual(toOCIPlatform(fromOCIPlatform(wire)), wire);
  assert.deepEqual(toOCIPlatform(platform('linux/arm/v6')), { architecture: 'arm', os: 'linux', variant: 'v6' });
  assert.deepEqual(fromOCIPlatform({ architecture: 'arm64', os: 'linux', variant: '', 'os.features': [] }), { os: 'linux', architecture: 'arm64' });
});
