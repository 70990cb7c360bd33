// The steps whose results become the image's layers: the head, the step its root was written
// over, and so on down to the base image. Each such step's layer can be made as soon as the
// step commits, while the rest of the build goes on (BuildKit makes them all at the export):
// a chain of small steps then leaves little to do once its last step is done.
import type { Digest } from '../content/index.js';
import type { Op as LlbOp, Vertex as LlbVertex, VertexInput } from '../llb/index.js';
import type { Op } from '../solver/index.js';
import type { SnapshotRef } from './context.js';

/** The input whose tree an exec or file op writes over, as a position in the vertex's inputs. */
function rootInput(op: LlbOp, inputCount: number): number | undefined {
  if (op.type === 'exec') return op.mounts.find((mount) => mount.dest === '/')?.input ?? undefined;
  if (op.type === 'file') {
    const first = op.actions[0]?.input;
    return first === null || first === undefined || first >= inputCount ? undefined : first;
  }
  // A merge's layers are its inputs' own, laid again: left to the export.
  return undefined;
}

/** The image's steps, by LLB digest, with the output of each that the image is built on. */
export function imageChain(vertices: LlbVertex[], digests: Digest[], head: VertexInput | null): Map<Digest, number> {
  const at = new Map(digests.map((digest, position) => [digest, position]));
  const chain = new Map<Digest, number>();
  let edge: VertexInput | undefined = head ?? undefined;
  while (edge !== undefined && !chain.has(edge.digest)) {
    const vertex = vertices[at.get(edge.digest) ?? -1];
    if (vertex === undefined || (vertex.op.type !== 'exec' && vertex.op.type !== 'file')) break;
    chain.set(edge.digest, edge.index);
    const root = rootInput(vertex.op, vertex.inputs.length);
    edge = root === undefined ? undefined : vertex.inputs[root];
  }
  return chain;
}

/**
 * `op`, telling `committed` about the snapshots of `outputs` (every output when undefined) each
 * time it runs (never on a cache hit).
 */
export function reportingResult(op: Op<SnapshotRef>, outputs: readonly number[] | undefined, committed: (snapshot: string) => void): Op<SnapshotRef> {
  return {
    ...op,
    exec: async (inputs, signal, progress) => {
      const results = await op.exec(inputs, signal, progress);
      for (const [at, result] of results.entries()) {
        if (result.snapshot !== undefined && result.context === undefined && (outputs === undefined || outputs.includes(at))) committed(result.snapshot);
      }
      return results;
    },
  };
}
