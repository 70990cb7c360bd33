// The exporter folder's import surface: a snapshot's changes as an OCI layer (diff.ts,
// layer.ts), a built image's config and manifest (image.ts) and a snapshot's whole filesystem
// as a tar (filesystem.ts).
export { diffViewPrefix, withParentView, writeSnapshotDiff, writeTar, type DiffOptions, type DiffResult } from './diff.js';
export { writeLayer, writeLayerFrom, writeSnapshotLayer, type LayerOptions, type WrittenLayer } from './layer.js';
export { applyConfigChanges, type ConfigChanges } from './config-changes.js';
export { commitImage, type BaseImage, type CommitImageOptions, type CommittedImage, type ImageLayer } from './image.js';
export { writeDirectoryTar, writeSnapshotFilesystem } from './filesystem.js';
export { keepLayer, keptLayerFile, readKeptLayer, type KeptLayer } from './kept-layer.js';
export { LayerTarWriter, type DescribedEntry } from './layer-tar.js';
export { layerXattrs, readXattrsOf, readXattrTree, type XattrTree } from './xattr-tree.js';
