// From a State to a Definition: a depth-first walk emitting each vertex after its inputs, once
// per digest, so equal subgraphs built separately (two `image("busybox")` calls) become one
// vertex. The walk keeps its own stack: a long Dockerfile must not exhaust the call stack.
import type { Digest } from '../content/digest.js';
import type { Definition } from './definition.js';
import type { HasOutput } from './exec.js';
import type { OpNode } from './node.js';
import type { Vertex, VertexMetadata } from './ops.js';

export function marshal(state: HasOutput): Definition {
  const vertices: Vertex[] = [];
  const metadata: Record<Digest, VertexMetadata> = {};
  const emitted = new Set<Digest>();
  const output = state.output;
  if (output !== null) {
    const stack: { node: OpNode; expanded: boolean }[] = [{ node: output.node, expanded: false }];
    for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
      const { node } = top;
      if (emitted.has(node.digest)) {
        addMetadata(metadata, node);
      } else if (top.expanded) {
        emitted.add(node.digest);
        vertices.push(node.vertex());
        addMetadata(metadata, node);
      } else {
        stack.push({ node, expanded: true });
        // Pushed in reverse so that inputs are emitted in their listed order.
        for (const input of [...node.inputs].reverse()) stack.push({ node: input.node, expanded: false });
      }
    }
  }
  return { vertices, metadata, head: output === null ? null : { digest: output.node.digest, index: output.index } };
}

/**
 * Equal vertices may be described differently where they were built; the first description met
 * for a field is kept, and the others only fill fields it left empty.
 */
function addMetadata(metadata: Record<Digest, VertexMetadata>, node: OpNode): void {
  if (Object.keys(node.metadata).length === 0) return;
  const known = metadata[node.digest];
  if (known === undefined) {
    metadata[node.digest] = node.metadata;
    return;
  }
  const description = { ...node.metadata.description, ...known.description };
  metadata[node.digest] = {
    ...node.metadata,
    ...known,
    ...(Object.keys(description).length === 0 ? {} : { description }),
  };
}
