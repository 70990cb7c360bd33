// An LLB Definition as the solver's vertex graph: each LLB vertex becomes a solver vertex, its
// op implemented here, with the same digest unless it reads the build context (below). The
// definition has been validated (parseDefinition or marshal): inputs precede their users, so
// one pass in order links them all.
//
// A local source reads a directory of this build only (BuildKit ties it to the client's
// session), so its vertex, and every vertex above it, gets a digest of this load's own: two
// builds at once from two contexts never share a step through the solver's vertex table. Work
// they do have in common still runs once, met by its cache key (solver.ts).
import { randomUUID } from 'node:crypto';
import { digestBytes, type Digest } from '../content/index.js';
import { customNameKey, sourceLocationOf, vertexDigest, type Definition, type Vertex as LlbVertex } from '../llb/index.js';
import type { Edge, Op, Vertex } from '../solver/index.js';
import { KilnError } from '../util/errors.js';
import type { BuildOpContext, SnapshotRef } from './context.js';
import { execOp } from './exec.js';
import { stepIdentity } from './explain.js';
import { fileOp } from './file.js';
import { httpSourceOp, isHttpSource } from './http-source.js';
import { imageChain, reportingResult } from './image-chain.js';
import { imageSourceOp } from './image-source.js';
import { isLocalSource, localSourceOp } from './local-source.js';
import { mergeOp } from './merge.js';

/** Whether an LLB vertex reads a local directory (the build context). */
function readsLocal(vertex: LlbVertex | undefined): boolean {
  return vertex?.op.type === 'source' && isLocalSource(vertex.op.identifier);
}

/**
 * Vertices whose result some step mounts: a RUN (its root or a mount) or a merge, or a file op
 * over it that may run on disk. A COPY whose result is only exported or copied onto is better
 * written as its layer and left off the disk. Users follow what they use, so one pass from the
 * end suffices.
 */
function mountedResults(vertices: LlbVertex[], digests: Digest[]): Set<Digest> {
  const mounted = new Set<Digest>();
  for (let at = vertices.length - 1; at >= 0; at--) {
    const llb = vertices[at] as LlbVertex;
    const mounts = llb.op.type === 'exec' || llb.op.type === 'merge' || (llb.op.type === 'file' && mounted.has(digests[at] as Digest));
    if (mounts) for (const input of llb.inputs) mounted.add(input.digest);
  }
  return mounted;
}

function opFor(context: BuildOpContext, llb: LlbVertex, inputs: (LlbVertex | undefined)[], mounted: boolean): Op<SnapshotRef> {
  const { op } = llb;
  switch (op.type) {
    case 'source':
      if (op.identifier.startsWith('docker-image://')) return imageSourceOp(context, op.identifier);
      if (isLocalSource(op.identifier)) return localSourceOp(context, op.identifier);
      if (isHttpSource(op.identifier)) return httpSourceOp(context, op);
      throw new KilnError('NOT_IMPLEMENTED', `source ${op.identifier.split('://')[0] ?? op.identifier}:// is not supported yet`);
    case 'exec':
      return execOp(context, op, inputs.length, (input) => readsLocal(inputs[input]));
    case 'file':
      return fileOp(context, op, inputs.length, (input) => readsLocal(inputs[input]), mounted ? 'unpacked' : 'lazy');
    case 'merge':
      return mergeOp(context, inputs.length);
  }
}

/** The op, reporting the snapshots whose layers are made early (the image's, or every step's). */
function reporting(op: Op<SnapshotRef>, llb: LlbVertex, imageOutput: number | undefined, context: BuildOpContext): Op<SnapshotRef> {
  const { layerReady } = context;
  if (layerReady === undefined) return op;
  if (context.everyLayer === true && (llb.op.type === 'exec' || llb.op.type === 'file')) return reportingResult(op, undefined, layerReady);
  return imageOutput === undefined ? op : reportingResult(op, [imageOutput], layerReady);
}

/**
 * The solver's edge for the definition's head; undefined when the head is the empty filesystem.
 * Definitions loaded with the same `session` (the targets of one build) share the vertices
 * that read the build context: each is one piece of work in the solver's graph.
 */
export function loadDefinition(context: BuildOpContext, definition: Definition, session: string = randomUUID()): Edge<SnapshotRef> | undefined {
  const loaded = new Map<Digest, Vertex<SnapshotRef>>();
  const byDigest = new Map<Digest, LlbVertex>();
  const digests = definition.vertices.map(vertexDigest);
  const mounted = mountedResults(definition.vertices, digests);
  const chain = imageChain(definition.vertices, digests, definition.head);
  // The chain is listed from the head down.
  const depths = new Map([...chain.keys()].map((digest, depth) => [digest, depth]));
  for (const [at, llb] of definition.vertices.entries()) {
    const llbDigest = digests[at] as Digest;
    const metadata = definition.metadata[llbDigest];
    const inputs = llb.inputs.map((input) => {
      const vertex = loaded.get(input.digest);
      if (vertex === undefined) throw new KilnError('INVALID_ARGUMENT', `vertex ${llbDigest} reads ${input.digest}, which does not precede it`);
      return { vertex, index: input.index };
    });
    const ofThisBuild = readsLocal(llb) || inputs.some(({ vertex }, at) => vertex.digest !== llb.inputs[at]?.digest);
    const digest = ofThisBuild ? digestBytes(`${llbDigest} ${session}`) : llbDigest;
    byDigest.set(llbDigest, llb);
    const source = sourceLocationOf(metadata);
    const step = stepIdentity(llb.op, metadata);
    const op = opFor(context, llb, llb.inputs.map((input) => byDigest.get(input.digest)), mounted.has(llbDigest));
    const layerOutput = chain.get(llbDigest);
    loaded.set(llbDigest, {
      digest, inputs, op: reporting(op, llb, layerOutput, context),
      name: metadata?.description?.[customNameKey] ?? llb.op.type,
      ...(metadata?.ignoreCache === true ? { ignoreCache: true } : {}),
      ...(layerOutput === undefined ? {} : { imageLayer: { output: layerOutput, depth: depths.get(llbDigest) as number } }),
      ...(source === undefined ? {} : { source }),
      ...(step === undefined ? {} : { step }),
    });
  }
  if (definition.head === null) return undefined;
  const head = loaded.get(definition.head.digest);
  if (head === undefined) throw new KilnError('INVALID_ARGUMENT', `the head ${definition.head.digest} is not in the definition`);
  return { vertex: head, index: definition.head.index };
}
