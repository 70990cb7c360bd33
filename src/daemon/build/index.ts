// Building images: a Dockerfile through the frontend, the LLB solver and the exporter.
export { buildImage, dryRunBuild, type BuildOptions, type BuildPlan, type BuildResult } from './build.js';
export { engineSolver } from './engine-solver.js';
export { buildRuncRoot, receivedContextsDir, removeInterruptedSteps } from './recover.js';
export { parseBuildOutputs } from './output-request.js';
export { parseBuildSecrets, parseBuildSsh, secretBytes } from './secret-request.js';
export { pruneBuildCache, type PruneOptions, type PruneResult, type PrunedEntry } from './prune.js';
export { defaultKeepStorage, enableCacheGc, type CacheGcPolicy } from './cache-gc.js';
