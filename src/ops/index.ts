// The build ops' import surface: LLB vertices as solver work on snapshots (image, local and
// http sources, RUN steps with their root mount, chains of file actions, merges), and the
// codec that keeps their results in the persistent cache.
export { buildWorkDir, snapshotCodec, type BuildOpContext, type SnapshotRef } from './context.js';
export { loadDefinition } from './load.js';
