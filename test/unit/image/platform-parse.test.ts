// Platform parsing and normalisation, following containerd's platforms package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatPlatform, formatPlatformAll, hostPlatform, normalizePlatform, parsePlatform, PlatformError, type Platform,
} from '../../../src/image/platform-parse.js';

const amd64Host: Platform = { os: 'linux', architecture: 'amd64' };
const armHost: Platform = { os: 'linux', architecture: 'arm', variant: 'v6' };

test('os/arch pairs normalise architecture names', () => {
  assert.deepEqual(parsePlatform('linux/amd64', amd64Host), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(parsePlatform('linux/x86_64', amd64Host), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(parsePlatform('Linux/AARCH64', amd64Host), { os: 'linux', architecture: 'arm64' });
  assert.deepEqual(parsePlatform('linux/i386', amd64Host), { os: 'linux', architecture: '386' });
  assert.deepEqual(parsePlatform('linux/armhf', amd64Host), { os: 'linux', architecture: 'arm' });
  assert.deepEqual(parsePlatform('linux/armel', amd64Host), { os: 'linux', architecture: 'arm', variant: 'v6' });
  assert.deepEqual(parsePlatform('macos/arm64', amd64Host), { os: 'darwin', architecture: 'arm64' });
});

test('variants: arm64/v8 is implied, arm means v7 once normalised', () => {
  assert.deepEqual(parsePlatform('linux/arm64/v8', amd64Host), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.deepEqual(normalizePlatform(parsePlatform('linux/arm64/v8', amd64Host)), { os: 'linux', architecture: 'arm64' });
  assert.deepEqual(parsePlatform('linux/arm', amd64Host), { os: 'linux', architecture: 'arm' });
  assert.deepEqual(normalizePlatform(parsePlatform('linux/arm', amd64Host)), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.deepEqual(parsePlatform('linux/arm/7', amd64Host), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.deepEqual(parsePlatform('linux/amd64/v1', amd64Host), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(parsePlatform('linux/amd64/v3', amd64Host), { os: 'linux', architecture: 'amd64', variant: 'v3' });
});

test('one word is an OS (with the host architecture) or an architecture (with the host OS)', () => {
  assert.deepEqual(parsePlatform('linux', amd64Host), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(parsePlatform('linux', armHost), { os: 'linux', architecture: 'arm', variant: 'v6' });
  assert.deepEqual(parsePlatform('arm64', amd64Host), { os: 'linux', architecture: 'arm64' });
  assert.throws(() => parsePlatform('plan10', amd64Host), PlatformError);
});

test('OS version and features in parentheses', () => {
  const p = parsePlatform('windows(10.0.17763+win32k)/amd64', amd64Host);
  assert.deepEqual(p, { os: 'windows', osVersion: '10.0.17763', osFeatures: ['win32k'], architecture: 'amd64' });
  assert.equal(formatPlatformAll(p), 'windows(10.0.17763+win32k)/amd64');
  assert.equal(formatPlatform(p), 'windows/amd64');
});

test('malformed specifiers are refused', () => {
  for (const bad of ['linux/*', 'linux/amd 64', '/amd64', 'a/b/c/d', 'linux//v7', '']) {
    assert.throws(() => parsePlatform(bad, amd64Host), PlatformError, bad);
  }
});

test('formatting joins the present parts', () => {
  assert.equal(formatPlatform({ os: 'linux', architecture: 'arm', variant: 'v7' }), 'linux/arm/v7');
  assert.equal(formatPlatform({ os: 'linux', architecture: 'amd64' }), 'linux/amd64');
  assert.equal(formatPlatform({ os: '', architecture: 'amd64' }), 'unknown');
});

test('the host platform maps Node architecture names to OCI ones', () => {
  assert.deepEqual(hostPlatform('x64', 'linux'), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(hostPlatform('arm64', 'linux'), { os: 'linux', architecture: 'arm64' });
  assert.equal(hostPlatform('arm', 'linux').architecture, 'arm');
  assert.match(hostPlatform('arm', 'linux').variant ?? '', /^v[5-8]$/);
  assert.deepEqual(hostPlatform('ia32', 'win32'), { os: 'windows', architecture: '386' });
  assert.deepEqual(hostPlatform('s390x', 'linux'), { os: 'linux', architecture: 's390x' });
  assert.deepEqual(hostPlatform('mipsel', 'linux'), { os: 'linux', architecture: 'mipsle' });
});
