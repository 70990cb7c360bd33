import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { digestBytes, digestHex, isDigest, parseDigest } from '../../../src/content/index.js';
import { kilnErrorOf } from '../../helpers/errors.js';

const hex = 'a'.repeat(64);

test('a sha256 digest with 64 lowercase hex characters is accepted', () => {
  assert.equal(parseDigest(`sha256:${hex}`), `sha256:${hex}`);
  assert.equal(digestHex(`sha256:${hex}`), hex);
});

test('malformed digests are INVALID_ARGUMENT naming the input', () => {
  for (const bad of ['', hex, `sha256:${hex.slice(1)}`, `sha256:${hex}0`, `sha256:${'A'.repeat(64)}`, `sha512:${hex}`, `sha256:${'g'.repeat(64)}`, `sha256:../${hex.slice(3)}`]) {
    assert.equal(isDigest(bad), false, bad);
    const err = kilnErrorOf(() => parseDigest(bad));
    assert.equal(err.code, 'INVALID_ARGUMENT');
    assert.ok(err.message.includes(JSON.stringify(bad)));
  }
});

test('digestBytes is the sha256 of the bytes', () => {
  assert.equal(digestBytes('hello'), `sha256:${createHash('sha256').update('hello').digest('hex')}`);
  assert.equal(digestBytes(new Uint8Array()), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});
