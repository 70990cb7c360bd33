// An LLB Definition as the solver's vertex graph: each LLB vertex becomes a solver vertex with
// the same digest, its op implemented here. The definition has been validated (parseDefinition
// or marshal): inputs precede their users, so one pass in order links them all.
import type { Digest } from '../content/index.js';
import { customNameKey, vertexDigest, type Definition, type Op as LlbOp } from '../llb/index.js';
import type { Edge, Op, Vertex } from '../solver/index.js';
import { KilnError } from '../util/errors.js';
import type { BuildOpContext, SnapshotRef } from './context.js';
import { execOp } from './exec.js';
import { imageSourceOp } from './image-source.js';

function opFor(context: BuildOpContext, op: LlbOp): Op<SnapshotRef> {
  switch (op.type) {
    case 'source':
      if (op.identifier.startsWith('docker-image://')) return imageSourceOp(context, op.identifier);
      throw new KilnError('NOT_IMPLEMENTED', `source ${op.identifier.split('://')[0] ?? op.identifier}:// is not supported yet`);
    case 'exec':
      return execOp(context, op);
    default:
      throw new KilnError('NOT_IMPLEMENTED', `${op.type} ops are not supported yet`);
  }
}

/** The solver's edge for the definition's head; undefined when the head is the empty filesystem. */
export function loadDefinition(context: BuildOpContext, definition: Definition): Edge<SnapshotRef> | undefined {
  const loaded = new Map<Digest, Vertex<SnapshotRef>>();
  for (const llb of definition.vertices) {
    const digest = vertexDigest(llb);
    const metadata = definition.metadata[digest];
    const inputs = llb.inputs.map((input) => {
      const vertex = loaded.get(input.digest);
      if (vertex === undefined) throw new KilnError('INVALID_ARGUMENT', `vertex ${digest} reads ${input.digest}, which does not precede it`);
      return { vertex, index: input.index };
    });
    loaded.set(digest, {
      digest, inputs, op: opFor(context, llb.op),
      name: metadata?.description?.[customNameKey] ?? llb.op.type,
      ...(metadata?.ignoreCache === true ? { ignoreCache: true } : {}),
    });
  }
  if (definition.head === null) return undefined;
  const head = loaded.get(definition.head.digest);
  if (head === undefined) throw new KilnError('INVALID_ARGUMENT', `the head ${definition.head.digest} is not in the definition`);
  return { vertex: head, index: definition.head.index };
}
