// The content store's import surface: digests and the local blob store (descriptors are image/'s).
export {
  isDigest, parseDigest, digestHex, digestBytes, newDigester, digestOf, type Digest,
} from './digest.js';
export type {
  BlobRef, BlobInfo, IngestStatus, ByteRange, ContentStore, ContentWriter,
} from './types.js';
export { LocalContentStore } from './store.js';
export { ImageStore, type ImageRecord, type ImageUpdate } from './images.js';
export {
  collectGarbage, referencedBlobs, defaultGracePeriodMs, type GcOptions, type GcResult,
} from './gc.js';
export { StoreImageSource, StoreImageTarget, type StoreImageTargetOptions } from './image-transfer.js';
