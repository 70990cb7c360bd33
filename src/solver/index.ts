// The solver's import surface: generic DAG evaluation with cache keys, a persistent cache,
// bounded parallelism, deduplication across concurrent solves, cancellation and progress.
// It knows nothing about containers or registries (ops/ and the LLB layer do).
export type { CacheDep, CacheManager, CacheMap, CacheSource, Edge, Op, Vertex } from './types.js';
export { cacheKey, type KeyInput } from './cache-key.js';
export { cacheRecordsDir, RecordCacheManager, type CacheRecord, type ResultCodec } from './cache-records.js';
export { Solver, type SolveOptions, type SolverOptions } from './solver.js';
export { stepLogLimit, type LogChunk, type ProgressEvent, type ProgressSink, type VertexEvent, type VertexProgress } from './progress.js';
export { Semaphore } from './semaphore.js';
export { cacheRecordFile, deleteCacheRecords, listCacheRecords } from './cache-records.js';
export { stepRecordsDir, StepRecords, type InputRecord, type StepRecord } from './step-records.js';
export type { ContentEntry, KeyFacet, StepIdentity } from './types.js';
export type { PlannedStep } from './plan.js';
