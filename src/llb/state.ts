// The builder: immutable States in the spirit of BuildKit's client/llb. A State is a filesystem
// (one output of a vertex, or nothing for scratch) plus the values later steps read: environment,
// working directory, user, platform. Those values change no vertex by themselves; an exec op
// records them when a State runs something, as llb.State's AddEnv, Dir and User do.
import { posix } from 'node:path';
import type { Platform } from '../image/index.js';
// The reference grammar alone, not the registry folder's index: that loads the HTTP client, and
// a definition is built by commands that never touch a registry.
import { formatReference, parseNormalizedReference, withDefaultTag } from '../registry/reference.js';
import { KilnError } from '../util/errors.js';
import { buildExec, type BuiltExec, type ExecRequest } from './exec.js';
import { buildFile, type FileChain } from './file.js';
import { defaultProps, OpNode, resolvePath, type NodeOutput, type StateProps } from './node.js';
import { customNameKey, sourceAttrs, type ProgressGroup, type VertexMetadata } from './ops.js';

/** Metadata a State's vertex can carry; none of it changes the vertex's digest. */
export interface StateMetadata {
  /** The name progress shows for the step (BuildKit's llb.WithCustomName). */
  customName?: string;
  description?: Record<string, string>;
  ignoreCache?: boolean;
  progressGroup?: ProgressGroup;
}

export class State {
  /** Use image(), local(), scratch() or merge(); the fields are for the builder's own modules. */
  constructor(
    readonly output: NodeOutput | null,
    readonly props: StateProps,
  ) {}

  /** The environment as `KEY=value` entries. */
  get env(): string[] {
    return this.props.env.map(([key, value]) => `${key}=${value}`);
  }

  getEnv(key: string): string | undefined {
    return this.props.env.find(([k]) => k === key)?.[1];
  }

  get cwd(): string {
    return this.props.cwd;
  }

  get user(): string {
    return this.props.user;
  }

  get platform(): Platform | undefined {
    return this.props.platform;
  }

  /** Sets one variable; an existing one keeps its place, as ENV does in an image config. */
  withEnv(key: string, value: string): State {
    const exists = this.props.env.some(([k]) => k === key);
    const env = exists
      ? this.props.env.map(([k, v]) => [k, k === key ? value : v] as const)
      : [...this.props.env, [key, value] as const];
    return new State(this.output, { ...this.props, env });
  }

  /** Changes the working directory; a relative path is taken from the current one (WORKDIR). */
  withDir(path: string): State {
    return new State(this.output, { ...this.props, cwd: resolvePath(this.props.cwd, path) });
  }

  withUser(user: string): State {
    return new State(this.output, { ...this.props, user });
  }

  run(request: ExecRequest): ExecState {
    return new ExecState(buildExec(this.output, this.props, request), this.props);
  }

  /** Applies a chain of file actions (fileActions()...) to this State's filesystem. */
  file(chain: FileChain): State {
    return new State({ node: buildFile(this.output, this.props, chain), index: 0 }, this.props);
  }

  /** Describes the vertex producing this State; the digest, and so the cache, stays the same. */
  withMetadata(metadata: StateMetadata): State {
    if (this.output === null) throw new KilnError('INVALID_ARGUMENT', 'scratch has no vertex to describe');
    return new State({ node: this.output.node.withMetadata(vertexMetadata(metadata)), index: this.output.index }, this.props);
  }
}

/** The result of a run: its root filesystem and the outputs of its writable mounts. */
export class ExecState {
  constructor(
    private readonly built: BuiltExec,
    private readonly props: StateProps,
  ) {}

  /** The root filesystem after the process ran, with the State's environment and directory. */
  root(): State {
    return new State({ node: this.built.node, index: 0 }, this.props);
  }

  /** What the process left in the writable bind mount at `dest` (relative to the run's cwd). */
  mountOutput(dest: string): State {
    const resolved = resolvePath(this.built.cwd, dest);
    const index = this.built.outputs.get(resolved);
    if (index === undefined) {
      throw new KilnError('NOT_FOUND', `the run has no writable bind mount at ${resolved}`, {
        hint: 'only bind mounts that are not read-only have an output',
      });
    }
    const props: StateProps = { ...defaultProps, ...(this.props.platform === undefined ? {} : { platform: this.props.platform }) };
    return new State({ node: this.built.node, index }, props);
  }

  withMetadata(metadata: StateMetadata): ExecState {
    return new ExecState({ ...this.built, node: this.built.node.withMetadata(vertexMetadata(metadata)) }, this.props);
  }
}

function vertexMetadata(metadata: StateMetadata): VertexMetadata {
  const description = { ...metadata.description, ...(metadata.customName === undefined ? {} : { [customNameKey]: metadata.customName }) };
  return {
    ...(Object.keys(description).length === 0 ? {} : { description }),
    ...(metadata.ignoreCache === undefined ? {} : { ignoreCache: metadata.ignoreCache }),
    ...(metadata.progressGroup === undefined ? {} : { progressGroup: metadata.progressGroup }),
  };
}

/** The empty filesystem: not a vertex, just no input. */
export function scratch(): State {
  return new State(null, defaultProps);
}

export interface ImageOptions {
  platform?: Platform;
  /** `pull` asks the registry even when the image is known locally (--pull); `local` never asks. */
  resolveMode?: 'default' | 'pull' | 'local';
}

/** A registry image; the reference is normalised (docker.io/library/..., `:latest` added). */
export function image(ref: string, options: ImageOptions = {}): State {
  const identifier = `docker-image://${formatReference(withDefaultTag(parseNormalizedReference(ref)))}`;
  const attrs: Record<string, string> = options.resolveMode === undefined ? {} : { [sourceAttrs.imageResolveMode]: options.resolveMode };
  const node = new OpNode({ type: 'source', identifier, attrs }, [], options.platform);
  const props: StateProps = { ...defaultProps, ...(options.platform === undefined ? {} : { platform: options.platform }) };
  return new State({ node, index: 0 }, props);
}

export interface LocalOptions {
  includePatterns?: string[];
  excludePatterns?: string[];
  /** Only these paths (and their parents) are read from the client directory. */
  followPaths?: string[];
  sharedKeyHint?: string;
}

const localNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A directory the client provides by name (`context`, `dockerfile`). */
export function local(name: string, options: LocalOptions = {}): State {
  if (!localNamePattern.test(name)) {
    throw new KilnError('INVALID_ARGUMENT', `invalid local source name ${JSON.stringify(name)}`, {
      hint: 'a local source name is letters, digits, ".", "_" and "-"',
    });
  }
  const attrs: Record<string, string> = {};
  // Lists travel as JSON text because source attributes are a string map.
  if (options.includePatterns !== undefined) attrs[sourceAttrs.localIncludePatterns] = JSON.stringify(options.includePatterns);
  if (options.excludePatterns !== undefined) attrs[sourceAttrs.localExcludePatterns] = JSON.stringify(options.excludePatterns);
  if (options.followPaths !== undefined) attrs[sourceAttrs.localFollowPaths] = JSON.stringify(options.followPaths);
  if (options.sharedKeyHint !== undefined) attrs[sourceAttrs.localSharedKeyHint] = options.sharedKeyHint;
  const node = new OpNode({ type: 'source', identifier: `local://${name}`, attrs }, [], undefined);
  return new State({ node, index: 0 }, defaultProps);
}

export interface HttpOptions {
  /** `sha256:...`: the body must have this digest (ADD --checksum), and it keys the cache. */
  checksum?: string;
  /** The downloaded file's name; default the URL path's last element. */
  filename?: string;
}

/** The file name BuildKit gives a download: the URL path's last element, or `__unnamed__`. */
export function urlFileName(url: string): string {
  try {
    const base = posix.basename(decodeURIComponent(new URL(url).pathname));
    return base === '' || base === '.' || base === '..' || base === '/' ? '__unnamed__' : base;
  } catch {
    return '__unnamed__';
  }
}

/** One file downloaded from an `https://` or `http://` URL, at the root of its own filesystem. */
export function http(url: string, options: HttpOptions = {}): State {
  if (!/^https?:\/\/[^/]/i.test(url)) throw new KilnError('INVALID_ARGUMENT', `not an http(s) URL: ${url}`);
  const attrs: Record<string, string> = {};
  if (options.checksum !== undefined) attrs[sourceAttrs.httpChecksum] = options.checksum;
  if (options.filename !== undefined) attrs[sourceAttrs.httpFilename] = options.filename;
  const node = new OpNode({ type: 'source', identifier: url, attrs }, [], undefined);
  return new State({ node, index: 0 }, defaultProps);
}

/**
 * Layers States in order, later ones winning. Scratch inputs add nothing and are dropped; one
 * remaining input is returned as it is. The result carries the first State's values (env, cwd).
 */
export function merge(states: readonly State[]): State {
  const first = states[0];
  if (first === undefined) return scratch();
  const layers = states.map((s) => s.output).filter((o): o is NodeOutput => o !== null);
  if (layers.length <= 1) return new State(layers[0] ?? null, first.props);
  const node = new OpNode({ type: 'merge' }, layers, first.props.platform);
  return new State({ node, index: 0 }, first.props);
}
