// The build ops' import surface: LLB vertices as solver work on snapshots (image sources and
// RUN steps so far), and the codec that keeps their results in the persistent cache.
export { buildWorkDir, snapshotCodec, type BuildOpContext, type SnapshotRef } from './context.js';
export { loadDefinition } from './load.js';
