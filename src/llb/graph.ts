// A Definition as a @dagrejs/graphlib Graph, for the solver's scheduling and for queries
// (what does the head need, in what order). @dagrejs/graphlib 4 is an ES module shipping its own
// types (dist/types); it has no default export, so `Graph` and the `alg` namespace are named imports.
import { alg, Graph } from '@dagrejs/graphlib';
import type { Digest } from '../content/digest.js';
import { KilnError } from '../util/errors.js';
import type { Definition } from './definition.js';
import { vertexDigest } from './digest.js';
import type { Vertex } from './ops.js';

/** An edge runs from a producer to its user; the label lists the user's input slots it fills. */
export interface InputEdge {
  slots: number[];
}

export type DefinitionGraph = Graph<undefined, Vertex, InputEdge>;

/** Nodes are vertex digests labelled with their vertex; an edge goes from an input to its user. */
export function definitionGraph(def: Definition): DefinitionGraph {
  const graph: DefinitionGraph = new Graph({ directed: true, multigraph: false, compound: false });
  for (const vertex of def.vertices) graph.setNode(vertexDigest(vertex), vertex);
  for (const vertex of def.vertices) {
    const user = vertexDigest(vertex);
    vertex.inputs.forEach((input, slot) => {
      if (!graph.hasNode(input.digest)) {
        throw new KilnError('INVALID_ARGUMENT', `vertex ${user} reads ${input.digest}, which is not in the definition`, {
          details: { vertex: user },
        });
      }
      const edge = graph.edge(input.digest, user);
      if (edge === undefined) graph.setEdge(input.digest, user, { slots: [slot] });
      else edge.slots.push(slot);
    });
  }
  return graph;
}

/** Every vertex after all of its inputs; a cycle is refused, naming the vertices on it. */
export function topologicalOrder(graph: Graph<unknown, unknown, unknown>): Digest[] {
  try {
    return alg.topsort(graph as Graph) as Digest[];
  } catch (err) {
    if (!(err instanceof alg.CycleException)) throw err;
    const cycle = alg.findCycles(graph as Graph)[0] ?? [];
    throw new KilnError('INVALID_ARGUMENT', `the LLB graph has a cycle through ${cycle.join(' -> ')}`, {
      hint: 'every vertex must depend only on vertices built before it',
      ...(cycle[0] === undefined ? {} : { details: { vertex: cycle[0] } }),
    });
  }
}

/** The digests `head` needs (itself included), in the definition's dependency order. */
export function reachable(def: Definition, head: Digest): Digest[] {
  const byDigest = new Map(def.vertices.map((v) => [vertexDigest(v), v] as const));
  if (!byDigest.has(head)) throw new KilnError('NOT_FOUND', `vertex ${head} is not in the definition`);
  const needed = new Set<Digest>([head]);
  const pending: Digest[] = [head];
  for (let digest = pending.pop(); digest !== undefined; digest = pending.pop()) {
    for (const input of byDigest.get(digest)?.inputs ?? []) {
      if (!needed.has(input.digest)) {
        needed.add(input.digest);
        pending.push(input.digest);
      }
    }
  }
  return [...byDigest.keys()].filter((d) => needed.has(d));
}
