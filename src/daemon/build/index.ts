// Building images: a Dockerfile through the frontend, the LLB solver and the exporter.
export { buildImage, type BuildOptions, type BuildResult } from './build.js';
