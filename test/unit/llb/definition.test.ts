// Definitions across the wire: the round trip is exact, and parse refuses every malformed or
// hostile definition with INVALID_ARGUMENT naming the vertex at fault.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  definitionLimits, fileActions, image, local, marshal, marshalDefinition, parseDefinition, scratch, vertexDigest,
  type Definition, type Vertex,
} from '../../../src/llb/index.js';
import { kilnErrorOf } from '../../helpers/errors.js';

const context = local('context');
const built = image('busybox', { platform: { os: 'linux', architecture: 'amd64' } })
  .withDir('/app')
  .file(fileActions().mkdir('/app', 0o755, { makeParents: true }).copy(context, '.', './', { owner: { user: 'app' } }))
  .withMetadata({ customName: 'COPY . .', progressGroup: { id: 'g', name: 'copy', weak: true } })
  .run({ args: ['/bin/sh', '-c', 'make'], mounts: [{ kind: 'cache', dest: '/cache', id: 'c' }] })
  .root();
const def = marshal(built);

const source: Vertex = { op: { type: 'source', identifier: 'local://context', attrs: {} }, inputs: [] };
const sourceDigest = vertexDigest(source);
const user = (input: Vertex['inputs'][number]): Vertex => ({ op: { type: 'merge' }, inputs: [input] });

/** The JSON of a definition with the given vertices and head; metadata empty. */
function wire(vertices: unknown[], head: unknown = null, metadata: unknown = {}): string {
  return JSON.stringify({ vertices, metadata, head });
}

function refusal(json: string): string {
  const err = kilnErrorOf(() => parseDefinition(json));
  assert.equal(err.code, 'INVALID_ARGUMENT');
  return err.message;
}

describe('marshalDefinition / parseDefinition', () => {
  it('round-trips a definition exactly', () => {
    const json = marshalDefinition(def);
    const parsed: Definition = parseDefinition(json);
    assert.deepEqual(parsed, def);
    assert.equal(marshalDefinition(parsed), json);
    assert.equal(Object.keys(parsed.metadata).length, 1);
  });

  it('round-trips the empty filesystem', () => {
    assert.deepEqual(parseDefinition(marshalDefinition(marshal(scratch()))), { vertices: [], metadata: {}, head: null });
  });

  it('accepts a hand-written definition whose key order differs', () => {
    const json = `{"head":{"index":0,"digest":"${sourceDigest}"},"metadata":{},"vertices":[{"inputs":[],"op":{"attrs":{},"identifier":"local://context","type":"source"}}]}`;
    assert.deepEqual(parseDefinition(json).vertices, [source]);
  });
});

describe('parseDefinition refuses', () => {
  it('text that is not JSON, or too long', () => {
    assert.match(refusal('{"vertices": ['), /invalid LLB definition: it is not JSON/);
    assert.match(refusal(' '.repeat(definitionLimits.maxLength + 1)), /above the limit of 67108864/);
  });

  it('more vertices than the limit, before reading any', () => {
    const many = `{"vertices":[${'{},'.repeat(definitionLimits.maxVertices)}{}],"metadata":{},"head":null}`;
    assert.match(refusal(many), /it has 100001 vertices, above the limit of 100000/);
  });

  it('an unknown op type', () => {
    assert.match(refusal(wire([{ op: { type: 'build' }, inputs: [] }])), /vertex 0: op has unknown op type "build"/);
  });

  it('an unknown field, naming its path', () => {
    const vertex = { op: { type: 'source', identifier: 'local://x', attrs: {}, extra: 1 }, inputs: [] };
    assert.match(refusal(wire([vertex])), /vertex 0: op has an unknown field "extra"/);
  });

  it('a wrongly typed field', () => {
    const exec = { op: { type: 'exec', meta: { args: 'make', env: [], cwd: '/', user: '', network: 'sandbox' }, mounts: [] }, inputs: [] };
    assert.match(refusal(wire([exec])), /vertex 0: op\.meta\.args must be an array of strings/);
  });

  it('an input that does not precede its user (the order a cycle could not have)', () => {
    const message = refusal(wire([user({ digest: sourceDigest, index: 0 }), source]));
    assert.match(message, /vertex 0 \(sha256:[a-f0-9]{64}\): inputs\[0\] names vertex 1, which does not precede it/);
    assert.match(message, /cycle/);
  });

  it('an input naming no vertex of the definition', () => {
    const absent = `sha256:${'0'.repeat(64)}` as const;
    assert.match(refusal(wire([user({ digest: absent, index: 0 })])), new RegExp(`vertex 0 .*inputs\\[0\\] names ${absent}, which is not in the definition`));
  });

  it('an input asking for an output its producer lacks', () => {
    assert.match(refusal(wire([source, user({ digest: sourceDigest, index: 1 })])), /vertex 1 .*asks for output 1 of vertex 0, which has 1 output\(s\)/);
  });

  it('a file action reading a result that is not earlier', () => {
    const action = { kind: 'mkdir', path: '/a', mode: 493, makeParents: false, input: 1, secondaryInput: null, output: 0 };
    const file = { op: { type: 'file', actions: [action] }, inputs: [{ digest: sourceDigest, index: 0 }] };
    assert.match(refusal(wire([source, file])), /vertex 1 .*op\.actions\[0\]\.input is 1, but the vertex has 1 input\(s\) and 0 earlier action\(s\), so the limit is 1/);
  });

  it('output indices that are not 0..n-1 once each', () => {
    const mkdir = (output: number | null, input: number | null) => ({ kind: 'mkdir', path: '/a', mode: 493, makeParents: false, input, secondaryInput: null, output });
    const file = { op: { type: 'file', actions: [mkdir(1, null), mkdir(1, 0)] }, inputs: [] };
    assert.match(refusal(wire([file])), /vertex 0 .*output indices must be 0\.\.1 each used once, found 1, 1/);
  });

  it('an exec op without a root mount', () => {
    const exec = { op: { type: 'exec', meta: { args: ['true'], env: [], cwd: '/', user: '', network: 'host' }, mounts: [] }, inputs: [] };
    assert.match(refusal(wire([exec])), /vertex 0 .*no bind mount at "\/"/);
  });

  it('a duplicate vertex', () => {
    assert.match(refusal(wire([source, source])), /vertex 1 \(sha256:[a-f0-9]{64}\): a duplicate of vertex 0/);
  });

  it('a head that is not in the set, or names a missing output', () => {
    assert.match(refusal(wire([source], { digest: vertexDigest(user({ digest: sourceDigest, index: 0 })), index: 0 })), /head names sha256:[a-f0-9]{64}, which is not in the definition/);
    assert.match(refusal(wire([source], { digest: sourceDigest, index: 2 })), /head asks for output 2/);
  });

  it('metadata for a vertex that is not there', () => {
    assert.match(refusal(wire([source], null, { __proto__: null, 'not-a-digest': { ignoreCache: true } })), /metadata names "not-a-digest"/);
  });

  it('a source op with inputs', () => {
    const sourceWithInput = { ...source, inputs: [{ digest: sourceDigest, index: 0 }] };
    assert.match(refusal(wire([source, sourceWithInput])), /vertex 1 .*a source op takes no inputs/);
  });
});
