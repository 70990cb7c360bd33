// Cache keys (buildkit.md c.2, DESIGN.md "Cache keys"): the key of a vertex output is a digest
// of the op's cache digest, the output's index and, per input, the input's key (or the content
// key of what the input selects) with the selector mixed in. A vertex without inputs is keyed
// by its digest and output alone. The keys are Merkle hashes of the work: equal work on equal
// inputs has equal keys across builds, daemons and machines.
import { digestBytes, type Digest } from '../content/index.js';

/** One input as it enters its user's key. */
export interface KeyInput {
  /** The input's own key, or the content key that replaces it. */
  key: Digest;
  /** Whether `key` is a content key (a different name space than an output's key). */
  content: boolean;
  selector?: Digest;
}

/** The key of output `index` of an op with cache digest `opDigest`. */
export function cacheKey(opDigest: Digest, index: number, inputs: readonly KeyInput[]): Digest {
  // A fixed field order and array layout: JSON.stringify is then a canonical encoding.
  const record = {
    op: opDigest,
    output: index,
    inputs: inputs.map((input) => [input.content ? 'content' : 'key', input.key, input.selector ?? '']),
  };
  return digestBytes(JSON.stringify(record));
}
