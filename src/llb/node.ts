// The builder's graph before marshalling: a node holds its op and the node outputs it reads.
// Nodes are immutable; a node's digest is computed once, on first use.
import { posix } from 'node:path';
import type { Digest } from '../content/digest.js';
import type { Platform } from '../image/index.js';
import { vertexDigest } from './digest.js';
import type { NetworkMode, Op, Vertex, VertexMetadata } from './ops.js';

/** One output of a node; null where a State is the empty filesystem (scratch). */
export interface NodeOutput {
  node: OpNode;
  index: number;
}

export class OpNode {
  #digest: Digest | undefined;

  constructor(
    readonly op: Op,
    readonly inputs: readonly NodeOutput[],
    readonly platform: Platform | undefined,
    readonly metadata: VertexMetadata = {},
  ) {}

  get digest(): Digest {
    this.#digest ??= vertexDigest(this.vertex());
    return this.#digest;
  }

  vertex(): Vertex {
    return {
      op: this.op,
      inputs: this.inputs.map((input) => ({ digest: input.node.digest, index: input.index })),
      ...(this.platform === undefined ? {} : { platform: this.platform }),
    };
  }

  /** The same vertex (same digest) described differently; later fields win. */
  withMetadata(metadata: VertexMetadata): OpNode {
    const description = { ...this.metadata.description, ...metadata.description };
    const merged: VertexMetadata = {
      ...this.metadata,
      ...metadata,
      ...(Object.keys(description).length === 0 ? {} : { description }),
    };
    const node = new OpNode(this.op, this.inputs, this.platform, merged);
    node.#digest = this.#digest;
    return node;
  }
}

/**
 * The input list of a node being built. Equal outputs (same digest and index) share one slot,
 * as BuildKit's marshalling does, so that two mounts of one tree do not make two inputs.
 */
export class InputList {
  readonly outputs: NodeOutput[] = [];
  readonly #slots = new Map<string, number>();

  /** The input index of `output`, or null for the empty filesystem. */
  add(output: NodeOutput | null): number | null {
    if (output === null) return null;
    const key = `${output.node.digest}#${output.index}`;
    let slot = this.#slots.get(key);
    if (slot === undefined) {
      slot = this.outputs.length;
      this.outputs.push(output);
      this.#slots.set(key, slot);
    }
    return slot;
  }
}

/** What a State carries besides its filesystem: values later ops read (llb.State's AddEnv, Dir, User...). */
export interface StateProps {
  /** `[key, value]` pairs in the order they were first set. */
  env: readonly (readonly [string, string])[];
  cwd: string;
  user: string;
  hostname?: string;
  network?: NetworkMode;
  platform?: Platform;
}

export const defaultProps: StateProps = { env: [], cwd: '/', user: '' };

/** An absolute, clean path: relative ones are taken from `cwd`; a trailing slash is kept when asked. */
export function resolvePath(cwd: string, path: string, keepTrailingSlash = false): string {
  const resolved = posix.resolve('/', cwd, path);
  return keepTrailingSlash && path.endsWith('/') && resolved !== '/' ? `${resolved}/` : resolved;
}
