// The records of an image's own steps, filed after a build that exports its cache: a step
// below a cache hit is never loaded, so without these a runner that took its final stage from
// an imported cache could neither export nor hit the steps under it.
import { snapshotCodec } from '../../ops/index.js';
import { snapshotChain, type OverlaySnapshotter } from '../../snapshot/index.js';
import { RecordCacheManager } from '../../solver/index.js';
import type { ImageEngine } from '../images/engine.js';
import type { SolvedKeys } from './cache-export.js';

/**
 * Files a record for each step of the image that has none: its result is the snapshot of the
 * built image's chain at its depth. A step below a cache hit is never loaded, so a runner that
 * took the final stage from an imported cache has no records for the steps under it; with
 * these it has the same as the runner that built them (an inline cache, which is part of the
 * image, comes out the same on both), and its next build can hit any of them. Only when the
 * chain has exactly one snapshot per step above the base's layers, which is how each step
 * writes over the one below it.
 */
export async function fileImageChain(engine: ImageEngine, snapshotter: OverlaySnapshotter, solved: readonly SolvedKeys[], result: string | undefined, baseLayers: number): Promise<void> {
  const steps = solved.filter(({ vertex }) => vertex.imageLayer !== undefined);
  const chain = await snapshotChain(snapshotter, result);
  if (chain.length - baseLayers !== steps.length) return;
  const records = new RecordCacheManager(engine.root, snapshotCodec(snapshotter));
  for (const { vertex, outputs } of steps) {
    const layer = vertex.imageLayer as NonNullable<typeof vertex.imageLayer>;
    const snapshot = chain[chain.length - 1 - layer.depth];
    for (const key of outputs[layer.output] ?? []) {
      if ((await records.read(key)) === undefined) await records.save(key, { snapshot });
    }
  }
}
