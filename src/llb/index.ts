// The LLB folder's import surface: op types, vertex digests, Definitions (marshal and validating
// parse), the State builder and the DAG queries the solver schedules with.
export type {
  CacheMountOptions, CacheSharing, CopyAction, ExecMeta, ExecMount, ExecOp, FileAction, FileActionIO, FileOp, FileOwner, MergeOp,
  MkdirAction, MkfileAction, MountKind, NetworkMode, Op, OpType, ProgressGroup, RmAction, SecretEnv, SecretMountOptions,
  SourceOp, SymlinkAction, Timestamp, Vertex, VertexInput, VertexMetadata,
} from './ops.js';
export { customNameKey, outputCount, sourceAttrs } from './ops.js';
export { sourceLocationDescription, sourceLocationKey, sourceLocationOf } from './location.js';
export { stepDescription, stepDescriptionKey, stepDescriptionOf, type StepDescription } from './step.js';
export { canonicalJson, vertexDigest } from './digest.js';
export { definitionLimits, marshalDefinition, parseDefinition, type Definition } from './definition.js';
export { defaultPathEnv, type ExecRequest, type RunMount } from './exec.js';
export {
  fileActions, type CopyOptions, type FileChain, type MkdirOptions, type MkfileOptions, type RmOptions, type SymlinkOptions,
} from './file.js';
export {
  image, local, merge, scratch, type ExecState, type ImageOptions, type LocalOptions, type State, type StateMetadata,
} from './state.js';
export { http, urlFileName, type HttpOptions } from './state.js';
export { marshal } from './marshal.js';
export { definitionGraph, reachable, topologicalOrder, type DefinitionGraph, type InputEdge } from './graph.js';
