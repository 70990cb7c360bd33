// The LLB op model: BuildKit's solver/pb ops in kiln's words, as plain JSON-serialisable data.
// A vertex is an op plus the outputs of other vertices it reads (its inputs); every index an op
// holds (a mount's `input`, a file action's `input`) is a position in that vertex's `inputs`.
// "No input" is `null` and means the empty filesystem: kiln has no scratch op, as BuildKit has none.
import type { Digest } from '../content/digest.js';
import type { Platform } from '../image/index.js';

/**
 * Reads an external tree. Identifiers: `docker-image://<normalized ref>` (e.g.
 * `docker-image://docker.io/library/busybox:latest`), `local://<name>` (a client directory such
 * as the build context), an `https://` or `http://` URL (one downloaded file). `attrs` refine
 * it (`sourceAttrs` names the keys kiln writes).
 */
export interface SourceOp {
  type: 'source';
  identifier: string;
  attrs: Record<string, string>;
}

/** Attribute keys of source ops; BuildKit's names (solver/pb/attr.go) so definitions read alike. */
export const sourceAttrs = {
  /** `default`, `pull` (always ask the registry) or `local` (never ask). */
  imageResolveMode: 'image.resolvemode',
  /** JSON arrays of patterns, as .dockerignore patterns and their negations select them. */
  localIncludePatterns: 'local.includepattern',
  localExcludePatterns: 'local.excludepatterns',
  /** A JSON array of paths: only these (and what they need) are transferred. */
  localFollowPaths: 'local.followpaths',
  /** Lets two builds of the same directory share one transfer cache. */
  localSharedKeyHint: 'local.sharedkeyhint',
  /** The digest an http source's body must have (`sha256:...`). */
  httpChecksum: 'http.checksum',
  /** The name of the downloaded file; default the URL path's last element. */
  httpFilename: 'http.filename',
  /** The downloaded file's permission bits, octal text; default 600. */
  httpPerm: 'http.perm',
} as const;

export type NetworkMode = 'sandbox' | 'host' | 'none';

export interface ExecMeta {
  args: string[];
  /** `KEY=value` entries in order; the order is part of the op's identity, as in BuildKit. */
  env: string[];
  cwd: string;
  user: string;
  hostname?: string;
  network: NetworkMode;
  /** Secrets given to the process as environment variables (`RUN --mount=type=secret,env=`). */
  secretEnv?: SecretEnv[];
}

/** A secret read into the variable `name`; its value is never part of the op. */
export interface SecretEnv {
  id: string;
  name: string;
  /** A missing secret then leaves the variable unset instead of failing the step. */
  optional: boolean;
}

export type MountKind = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type CacheSharing = 'shared' | 'private' | 'locked';

/** A persistent cache directory; `uid`, `gid` and `mode` apply when it is first created. */
export interface CacheMountOptions {
  id: string;
  sharing: CacheSharing;
  uid?: number;
  gid?: number;
  mode?: number;
}

/** Who owns a secret or ssh socket file inside the container, and its permission bits. */
export interface SecretMountOptions {
  id: string;
  uid: number;
  gid: number;
  mode: number;
  /** A missing secret is then an empty mount instead of an error. */
  optional: boolean;
}

export interface ExecMount {
  /** Index into the vertex's inputs; null mounts an empty directory. */
  input: number | null;
  /** A path inside the input: only that subtree is mounted. */
  selector?: string;
  dest: string;
  /** The op output this mount's final contents become; null when it is thrown away. */
  output: number | null;
  readonly: boolean;
  kind: MountKind;
  cache?: CacheMountOptions;
  /** Bytes; 0 means the kernel's default. */
  tmpfs?: { size: number };
  secret?: SecretMountOptions;
  ssh?: SecretMountOptions;
}

/** Runs a process; the mount at `/` is the root filesystem. One output per mount with `output`. */
export interface ExecOp {
  type: 'exec';
  meta: ExecMeta;
  mounts: ExecMount[];
}

/** A file's owner: numeric ids, or names looked up in the destination's /etc/passwd and /etc/group. */
export interface FileOwner {
  user: number | string;
  group?: number | string;
}

/**
 * Where a file action reads and writes. An index below the vertex's input count is one of its
 * inputs; an index `n + i` (n = input count) is the result of action `i`, which must come earlier
 * in the list (BuildKit's scheme: a chain of actions on one tree needs no intermediate vertices).
 * `output` is the op output the action's result becomes; null for intermediate results.
 */
export interface FileActionIO {
  input: number | null;
  /** The tree a copy reads from; null for every other action. */
  secondaryInput: number | null;
  output: number | null;
}

/** Seconds since the epoch, for reproducible builds (SOURCE_DATE_EPOCH); files keep theirs otherwise. */
export type Timestamp = number;

export interface CopyAction extends FileActionIO {
  kind: 'copy';
  src: string;
  dest: string;
  owner?: FileOwner;
  mode?: number;
  /** A symbolic mode (`u+x,g-w`) applied to each copied entry's own mode, instead of `mode`. */
  modeStr?: string;
  followSymlinks: boolean;
  /** Copy what a source directory contains rather than the directory itself. */
  dirContentsOnly: boolean;
  /** Extract a source that is a tar archive (ADD of a local tar). */
  attemptUnpack: boolean;
  createDestPath: boolean;
  allowWildcard: boolean;
  allowEmptyWildcard: boolean;
  includePatterns: string[];
  excludePatterns: string[];
  timestamp?: Timestamp;
}

export interface MkfileAction extends FileActionIO {
  kind: 'mkfile';
  path: string;
  mode: number;
  /** The file's contents as UTF-8 text (heredocs, generated files). */
  data: string;
  owner?: FileOwner;
  timestamp?: Timestamp;
}

export interface MkdirAction extends FileActionIO {
  kind: 'mkdir';
  path: string;
  mode: number;
  makeParents: boolean;
  owner?: FileOwner;
  timestamp?: Timestamp;
}

export interface RmAction extends FileActionIO {
  kind: 'rm';
  path: string;
  allowNotFound: boolean;
  allowWildcard: boolean;
}

export interface SymlinkAction extends FileActionIO {
  kind: 'symlink';
  /** The link's target, stored as given. */
  oldpath: string;
  /** Where the link is created. */
  newpath: string;
  owner?: FileOwner;
  timestamp?: Timestamp;
}

export type FileAction = CopyAction | MkfileAction | MkdirAction | RmAction | SymlinkAction;

export interface FileOp {
  type: 'file';
  actions: FileAction[];
}

/** Lays its inputs on top of each other in order, later inputs winning (COPY --link). */
export interface MergeOp {
  type: 'merge';
}

export type Op = SourceOp | ExecOp | FileOp | MergeOp;
export type OpType = Op['type'];

/** One output of a vertex, named by the vertex's digest. */
export interface VertexInput {
  digest: Digest;
  index: number;
}

/** A node of the DAG. Its digest (digest.ts) covers exactly these fields. */
export interface Vertex {
  op: Op;
  inputs: VertexInput[];
  platform?: Platform;
}

/** A progress group: vertices shown as one step (BuildKit's pb.ProgressGroup). */
export interface ProgressGroup {
  id: string;
  name: string;
  weak?: boolean;
}

/** What describes or steers a vertex without being part of its identity. */
export interface VertexMetadata {
  /** Free-form descriptions; `llb.customname` is the name progress shows. */
  description?: Record<string, string>;
  /** Run the vertex even when its result is cached (--no-cache). */
  ignoreCache?: boolean;
  progressGroup?: ProgressGroup;
}

/** The description key progress displays as a vertex's name. */
export const customNameKey = 'llb.customname';

/** How many outputs a vertex with this op has; input references must stay below it. */
export function outputCount(op: Op): number {
  switch (op.type) {
    case 'source':
    case 'merge':
      return 1;
    case 'exec':
      return op.mounts.filter((m) => m.output !== null).length;
    case 'file':
      return op.actions.filter((a) => a.output !== null).length;
  }
}
