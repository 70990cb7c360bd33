// OCI and Docker schema2 image documents: media types, wire types, validation of untrusted
// documents and platform selection.
export * from './mediatypes.js';
export type * from './types.js';
export { parseIndex, parseManifest, parseImageConfig } from './validate.js';
export * from './platform.js';
export {
  availablePlatforms, compatiblePlatforms, isAttestation, matchesPlatform, noMatchingManifestError, selectManifest,
} from './select.js';
export type { ImageSource, ImageTarget, TransferEvent, CopyOptions, CopyResult } from './transfer.js';
export { copyImage, type CopyImageOptions } from './copy.js';
export { fetchVerified, readDocument, maxDocumentSize } from './copy-blob.js';
