// A Definition is a build request's DAG as data: the vertices in dependency order (each once),
// metadata per vertex digest, and the head (the output the client wants). It crosses the API as
// JSON, so parsing treats it as hostile: sizes are bounded before anything is allocated per
// vertex, every vertex is re-digested from the fields that were checked, and every reference
// must point backwards to a vertex already read.
import { isDigest, type Digest } from '../content/digest.js';
import { KilnError } from '../util/errors.js';
import { canonicalJson, vertexDigest } from './digest.js';
import { array, onlyKeys, optBool, record, ShapeError, str, strRecord, uint, type JsonRecord } from './fields.js';
import { outputCount, type Op, type Vertex, type VertexInput, type VertexMetadata } from './ops.js';
import { readOp, readPlatform } from './read-op.js';
import { checkOpStructure } from './structure.js';

export interface Definition {
  /** Inputs before their users; no two vertices digest equal. */
  vertices: Vertex[];
  /** Keyed by vertex digest; vertices without metadata have no entry. */
  metadata: Record<Digest, VertexMetadata>;
  /** The requested result; null when it is the empty filesystem (a build of `scratch` alone). */
  head: VertexInput | null;
}

/** Bounds on an untrusted definition: far above real builds, far below what exhausts memory. */
export const definitionLimits = {
  /** UTF-16 code units of JSON text (mkfile data of heredocs counts here). */
  maxLength: 64 * 1024 * 1024,
  maxVertices: 100_000,
} as const;

/** Canonical JSON (sorted keys), so an equal definition always gives equal bytes. */
export function marshalDefinition(def: Definition): string {
  return canonicalJson(def);
}

interface Loaded {
  vertex: Vertex;
  digest: Digest;
}

/** Parses and validates a definition; every refusal is INVALID_ARGUMENT naming the vertex. */
export function parseDefinition(json: string): Definition {
  if (json.length > definitionLimits.maxLength) {
    throw invalid(`it is ${json.length} characters long, above the limit of ${definitionLimits.maxLength}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw invalid(`it is not JSON (${(err as Error).message})`);
  }
  const top = guard(() => record(value, 'the definition'));
  guard(() => onlyKeys(top, ['vertices', 'metadata', 'head'], 'the definition'));
  const raw = guard(() => array(top, 'vertices', 'the definition'));
  if (raw.length > definitionLimits.maxVertices) {
    throw invalid(`it has ${raw.length} vertices, above the limit of ${definitionLimits.maxVertices}`);
  }
  const loaded = raw.map((item, i) => guard(() => loadVertex(item), i));
  const positions = new Map<Digest, number>();
  loaded.forEach(({ digest }, i) => {
    const earlier = positions.get(digest);
    if (earlier !== undefined) throw invalid(`a duplicate of vertex ${earlier}`, i, digest);
    positions.set(digest, i);
  });
  loaded.forEach(({ vertex, digest }, i) => guard(() => checkVertex(vertex, i, loaded, positions), i, digest));
  const byDigest = new Map(loaded.map(({ digest, vertex }) => [digest, vertex]));
  return {
    vertices: loaded.map((l) => l.vertex),
    metadata: guard(() => readMetadataMap(top.metadata, byDigest)),
    head: guard(() => readHead(top.head, byDigest)),
  };
}

function loadVertex(value: unknown): Loaded {
  const obj = record(value, 'the vertex');
  onlyKeys(obj, ['op', 'inputs', 'platform'], 'the vertex');
  const op: Op = readOp(obj.op, 'op');
  const inputs = array(obj, 'inputs', 'the vertex').map((v, i) => readInput(v, `inputs[${i}]`));
  const vertex: Vertex = {
    op,
    inputs,
    ...(obj.platform === undefined ? {} : { platform: readPlatform(obj.platform, 'platform') }),
  };
  return { vertex, digest: vertexDigest(vertex) };
}

function readInput(value: unknown, where: string): VertexInput {
  const obj = record(value, where);
  onlyKeys(obj, ['digest', 'index'], where);
  const digest = str(obj, 'digest', where);
  if (!isDigest(digest)) throw new ShapeError(`${where}.digest ${JSON.stringify(digest)} is not a sha256 digest`);
  return { digest, index: uint(obj, 'index', where) };
}

/**
 * Inputs must name vertices listed earlier. That alone makes cycles unrepresentable: a vertex
 * can only reach vertices before it, so a loop would need some vertex to precede itself.
 */
function checkVertex(vertex: Vertex, position: number, loaded: Loaded[], positions: Map<Digest, number>): void {
  vertex.inputs.forEach((input, i) => {
    const producer = positions.get(input.digest);
    if (producer === undefined) throw new ShapeError(`inputs[${i}] names ${input.digest}, which is not in the definition`);
    if (producer >= position) {
      throw new ShapeError(`inputs[${i}] names vertex ${producer}, which does not precede it (inputs come first, and a cycle has no such order)`);
    }
    const outputs = outputCount(loaded[producer]!.vertex.op);
    if (input.index >= outputs) {
      throw new ShapeError(`inputs[${i}] asks for output ${input.index} of vertex ${producer}, which has ${outputs} output(s)`);
    }
  });
  checkOpStructure(vertex.op, vertex.inputs.length);
}

function readMetadataMap(value: unknown, vertices: Map<Digest, Vertex>): Record<Digest, VertexMetadata> {
  const obj = record(value, 'metadata');
  const out: Record<Digest, VertexMetadata> = {};
  for (const [key, entry] of Object.entries(obj)) {
    if (!isDigest(key) || !vertices.has(key)) throw new ShapeError(`metadata names ${JSON.stringify(key)}, which is not a vertex of the definition`);
    out[key] = readMetadata(entry, `metadata[${key}]`);
  }
  return out;
}

function readMetadata(value: unknown, where: string): VertexMetadata {
  const obj = record(value, where);
  onlyKeys(obj, ['description', 'ignoreCache', 'progressGroup'], where);
  const ignoreCache = optBool(obj, 'ignoreCache', where);
  return {
    ...(obj.description === undefined ? {} : { description: strRecord(obj, 'description', where) }),
    ...(ignoreCache === undefined ? {} : { ignoreCache }),
    ...(obj.progressGroup === undefined ? {} : { progressGroup: readProgressGroup(obj.progressGroup, `${where}.progressGroup`) }),
  };
}

function readProgressGroup(value: unknown, where: string): NonNullable<VertexMetadata['progressGroup']> {
  const obj: JsonRecord = record(value, where);
  onlyKeys(obj, ['id', 'name', 'weak'], where);
  const weak = optBool(obj, 'weak', where);
  return { id: str(obj, 'id', where), name: str(obj, 'name', where), ...(weak === undefined ? {} : { weak }) };
}

function readHead(value: unknown, vertices: Map<Digest, Vertex>): VertexInput | null {
  if (value === null) return null;
  const head = readInput(value, 'head');
  const vertex = vertices.get(head.digest);
  if (vertex === undefined) throw new ShapeError(`head names ${head.digest}, which is not in the definition`);
  const outputs = outputCount(vertex.op);
  if (head.index >= outputs) throw new ShapeError(`head asks for output ${head.index} of a vertex with ${outputs} output(s)`);
  return head;
}

/** Runs a reader, turning its ShapeError into a KilnError that names the vertex when there is one. */
function guard<T>(read: () => T, position?: number, digest?: Digest): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ShapeError) throw invalid(err.message, position, digest);
    throw err;
  }
}

function invalid(reason: string, position?: number, digest?: Digest): KilnError {
  const at = position === undefined ? '' : `vertex ${position}${digest === undefined ? '' : ` (${digest})`}: `;
  return new KilnError('INVALID_ARGUMENT', `invalid LLB definition: ${at}${reason}`, {
    hint: 'the client sent a definition kiln cannot run; rebuild it with the llb builder',
    ...(digest === undefined ? {} : { details: { vertex: digest } }),
  });
}
