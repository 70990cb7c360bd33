// Image archives: OCI image layout directories, docker-archive / OCI tars written entry by
// entry, and loading any of those tars (Docker 25+, buildx OCI, legacy docker save) in one pass.
export { OciLayoutSource, OciLayoutTarget, type LayoutImage, type OciLayoutTargetOptions } from './oci-layout.js';
export { DockerArchiveTarget, type DockerArchiveOptions } from './docker-archive.js';
export type { ArchiveImage } from './docker-manifest.js';
export { loadArchive, type LoadedImage } from './load.js';
