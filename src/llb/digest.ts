// Vertex identity. BuildKit digests an op's deterministic protobuf bytes; kiln digests a
// canonical JSON encoding instead: object keys sorted, undefined fields left out, arrays kept in
// order. Two vertices built separately from equal data therefore digest equal, and because an
// input names its producer by digest, a vertex's digest is a Merkle hash of everything below it.
import { digestBytes, type Digest } from '../content/digest.js';
import { KilnError } from '../util/errors.js';
import type { Vertex } from './ops.js';

/**
 * The canonical text of a JSON value. Non-finite numbers and values JSON cannot carry are refused
 * rather than silently turned into `null`, which would make two different vertices collide.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw notCanonical(`the number ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item: unknown) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  }
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    // Sorting by UTF-16 code units (the default sort) is stable across engines and locales.
    const keys = Object.keys(record).filter((k) => record[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
  }
  throw notCanonical(`a value of type ${typeof value}`);
}

function notCanonical(what: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `cannot encode ${what} in an LLB vertex`);
}

/** The digest of a vertex: only `op`, `inputs` and `platform` count; anything else is ignored. */
export function vertexDigest(vertex: Vertex): Digest {
  const identity = { op: vertex.op, inputs: vertex.inputs, platform: vertex.platform };
  return digestBytes(canonicalJson(identity));
}
