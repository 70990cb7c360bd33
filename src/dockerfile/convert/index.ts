// Dockerfile to LLB: a build plan becomes the target's State, image config and history.
export { convertDockerfile } from './convert.js';
export type { Conversion, ConvertOptions, ResolvedImage } from './types.js';
