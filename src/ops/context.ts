// What the build ops work with, and what they produce. A step's result is a committed
// snapshot (or nothing: the empty filesystem of scratch); the cache records name it by its
// snapshot key, and a snapshot that has gone (pruned) reads as a miss, so the step runs again.
import { join } from 'node:path';
import type { BuildContext } from '../contenthash/index.js';
import type { ImageEngine } from '../daemon/images/engine.js';
import type { OverlaySnapshotter } from '../snapshot/index.js';
import type { ResultCodec } from '../solver/index.js';
import { KilnError } from '../util/errors.js';

export interface SnapshotRef {
  /** The committed snapshot's key; undefined for the empty filesystem (and for a context). */
  snapshot: string | undefined;
  /** A local source's result: the build context, read in place (never cached). */
  context?: BuildContext;
}

export interface BuildOpContext {
  engine: ImageEngine;
  snapshotter: OverlaySnapshotter;
  /** runc's state directory for build steps. */
  runcRoot: string;
  /** Where steps keep their bundles and rootfs mount points while they run. */
  workDir: string;
  /** The build's local sources by name (`local://context`), opened by whoever starts the build. */
  locals?: ReadonlyMap<string, BuildContext>;
  /**
   * The build's secrets by id (`--secret`), held in memory for the build only: RUN mounts them
   * from a tmpfs and they never enter a cache key, a snapshot or a log.
   */
  secrets?: ReadonlyMap<string, Buffer>;
  /** The build's ssh agent sockets by id (`--ssh`), paths on the daemon's host. */
  sshAgents?: ReadonlyMap<string, string>;
  /**
   * What an imported cache holds for cache mount `id`, to fill the mount's directory with when
   * this store has none yet (`--cache-from ...,cache-mounts=true`).
   */
  cacheMountImports?: (id: string) => ((dir: string) => Promise<void>) | undefined;
  /** Told of each snapshot committed by a step whose result is one of the image's layers (image-chain.ts). */
  layerReady?: (snapshot: string) => void;
  /**
   * Report every step's committed snapshots to `layerReady`, not only the image's: a cache
   * export of every step (mode=max) then finds their layers made while the build went on.
   */
  everyLayer?: boolean;
}

export function buildWorkDir(root: string): string {
  return join(root, 'build');
}

export function snapshotCodec(snapshotter: OverlaySnapshotter): ResultCodec<SnapshotRef> {
  return {
    encode: (result) => result.snapshot ?? '',
    decode: async (ref) => {
      if (ref === '') return { snapshot: undefined };
      try {
        const info = await snapshotter.stat(ref);
        return info.kind === 'committed' ? { snapshot: ref } : undefined;
      } catch (err) {
        if (err instanceof KilnError && err.code === 'NOT_FOUND') return undefined;
        throw err;
      }
    },
  };
}
