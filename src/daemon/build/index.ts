// Building images: a Dockerfile through the frontend, the LLB solver and the exporter.
export { buildImage, engineSolver, type BuildOptions, type BuildResult } from './build.js';
export { buildRuncRoot, removeInterruptedSteps } from './recover.js';
