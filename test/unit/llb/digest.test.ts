// Vertex identity: the canonical encoding ignores key order and undefined fields, keeps array
// order, and metadata never reaches the digest.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, image, marshal, vertexDigest, type Vertex } from '../../../src/llb/index.js';
import { kilnErrorOf } from '../../helpers/errors.js';

const source: Vertex = { op: { type: 'source', identifier: 'docker-image://docker.io/library/busybox:latest', attrs: {} }, inputs: [] };

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined fields', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [2, 1], c: undefined, e: 'x' } }), '{"a":{"d":[2,1],"e":"x"},"b":1}');
  });

  it('refuses numbers JSON cannot carry', () => {
    assert.equal(kilnErrorOf(() => canonicalJson({ size: Number.NaN })).code, 'INVALID_ARGUMENT');
  });
});

describe('vertexDigest', () => {
  it('does not depend on key order or undefined fields', () => {
    const reordered: Vertex = {
      inputs: [],
      platform: undefined,
      op: { attrs: {}, identifier: 'docker-image://docker.io/library/busybox:latest', type: 'source' },
    };
    assert.equal(vertexDigest(reordered), vertexDigest(source));
    assert.match(vertexDigest(source), /^sha256:[a-f0-9]{64}$/);
  });

  it('changes with the op, the inputs and the platform', () => {
    const base = vertexDigest(source);
    assert.notEqual(vertexDigest({ ...source, platform: { os: 'linux', architecture: 'arm64' } }), base);
    const pulled: Vertex = { ...source, op: { type: 'source', identifier: 'docker-image://docker.io/library/busybox:latest', attrs: { 'image.resolvemode': 'pull' } } };
    assert.notEqual(vertexDigest(pulled), base);
    const user = (index: number): Vertex => ({ op: { type: 'merge' }, inputs: [{ digest: base, index }] });
    assert.notEqual(vertexDigest(user(0)), vertexDigest(user(1)));
  });

  it('keeps array order significant', () => {
    const merge = (a: string, b: string): Vertex => ({
      op: { type: 'merge' },
      inputs: [{ digest: `sha256:${a.repeat(64)}`, index: 0 }, { digest: `sha256:${b.repeat(64)}`, index: 0 }],
    });
    assert.notEqual(vertexDigest(merge('a', 'b')), vertexDigest(merge('b', 'a')));
  });

  it('ignores fields outside op, inputs and platform', () => {
    const decorated = { ...source, metadata: { ignoreCache: true } } as Vertex;
    assert.equal(vertexDigest(decorated), vertexDigest(source));
  });

  it('is not changed by metadata on the builder', () => {
    const plain = marshal(image('busybox'));
    const named = marshal(image('busybox').withMetadata({ customName: 'FROM busybox', ignoreCache: true }));
    assert.deepEqual(named.head, plain.head);
    assert.equal(vertexDigest(named.vertices[0]!), vertexDigest(plain.vertices[0]!));
    assert.deepEqual(plain.metadata, {});
    assert.deepEqual(Object.values(named.metadata), [{ description: { 'llb.customname': 'FROM busybox' }, ignoreCache: true }]);
  });
});
