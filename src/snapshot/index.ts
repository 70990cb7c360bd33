// The snapshot folder's import surface.
export { applyLayer, type ApplyOptions, type ApplyResult } from './apply.js';
export { chainIds } from './chain-id.js';
export { snapshotChain } from './chain.js';
export { opaqueDirs } from './copy-merge.js';
export { LayerLookup, soleLayerDir, type Lookup } from './layer-lookup.js';
export { mountAll, unmountAll, type Mount } from './mount.js';
export type { LazyLayer, SnapshotInfo, SnapshotKind } from './metadata.js';
export type { SnapshotDriver } from './probe.js';
export { OverlaySnapshotter, type SnapshotterOptions } from './snapshotter.js';
export { opaqueMarker, whiteoutPrefix } from './whiteout.js';
export { isOverlayWhiteout, opaqueXattr } from './overlay-whiteout.js';
export { unquoteGetfattr } from './xattr.js';
export { cleanEntryPath, resolveInRoot } from './safe-path.js';
