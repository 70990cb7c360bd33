// OCI image layout directories as an image source and an image target.
export { OciLayoutSource, type LayoutImage } from './oci-layout-source.js';
export { OciLayoutTarget, type OciLayoutTargetOptions } from './oci-layout-target.js';
