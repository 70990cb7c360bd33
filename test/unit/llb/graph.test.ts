// The definition as a graphlib DAG: nodes by digest, edges from inputs to users, a topological
// order with inputs first, reachability from a head, and a clear refusal of a cycle.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Graph } from '@dagrejs/graphlib';
import {
  definitionGraph, fileActions, image, local, marshal, merge, reachable, topologicalOrder, vertexDigest,
} from '../../../src/llb/index.js';
import { kilnErrorOf } from '../../helpers/errors.js';

const base = image('busybox');
const context = local('context');
const app = base.file(fileActions().copy(context, '/', '/app/')).run({ args: ['make'] }).root();
const docs = base.run({ args: ['make', 'docs'] }).root();
const def = marshal(merge([app, docs]));
const digests = def.vertices.map(vertexDigest);

describe('definitionGraph', () => {
  const graph = definitionGraph(def);

  it('holds every vertex under its digest, with an edge per producer and user', () => {
    assert.deepEqual(graph.nodes().sort(), [...digests].sort());
    assert.equal(graph.edgeCount(), 6);
    const copy = digests[2]!;
    assert.deepEqual(graph.predecessors(copy)?.sort(), [digests[0]!, digests[1]!].sort());
    assert.deepEqual(graph.edge(digests[1]!, copy), { slots: [1] });
    assert.deepEqual(graph.node(digests[0]!), def.vertices[0]);
  });

  it('orders every vertex after its inputs', () => {
    const order = topologicalOrder(graph);
    assert.equal(order.length, def.vertices.length);
    for (const [user, vertex] of def.vertices.entries()) {
      for (const input of vertex.inputs) assert.ok(order.indexOf(input.digest) < order.indexOf(digests[user]!));
    }
  });
});

describe('reachable', () => {
  it('lists what a head needs in dependency order', () => {
    const docsHead = marshal(docs).head!.digest;
    assert.deepEqual(reachable(def, docsHead), [digests[0], docsHead]);
    assert.deepEqual(reachable(def, def.head!.digest), digests);
  });

  it('refuses a head that is not in the definition', () => {
    assert.equal(kilnErrorOf(() => reachable(def, `sha256:${'f'.repeat(64)}`)).code, 'NOT_FOUND');
  });
});

describe('topologicalOrder', () => {
  it('refuses a cycle, naming its vertices', () => {
    const graph = new Graph();
    graph.setEdge('a', 'b');
    graph.setEdge('b', 'c');
    graph.setEdge('c', 'a');
    const err = kilnErrorOf(() => topologicalOrder(graph));
    assert.equal(err.code, 'INVALID_ARGUMENT');
    assert.match(err.message, /the LLB graph has a cycle through [abc] -> [abc] -> [abc]/);
  });
});
