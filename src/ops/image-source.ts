// `docker-image://REF`: the image's layers as a chain of committed snapshots. Its cache key is
// the chain of the layers' diff IDs (as BuildKit's second key for an image), so a re-tagged or
// re-compressed image with the same layers hits; the image is found in the local store or
// pulled once per solve, when its cache map is asked for.
import { digestBytes } from '../content/index.js';
import { localOrPulled } from '../daemon/containers/image.js';
import type { LocalImage } from '../daemon/images/local.js';
import type { Op } from '../solver/index.js';
import { discard } from '../util/discard.js';
import { KilnError } from '../util/errors.js';
import type { BuildOpContext, SnapshotRef } from './context.js';

const scheme = 'docker-image://';

export function imageSourceOp(context: BuildOpContext, identifier: string): Op<SnapshotRef> {
  if (!identifier.startsWith(scheme)) throw new KilnError('INVALID_ARGUMENT', `not an image source: ${identifier}`);
  const reference = identifier.slice(scheme.length);
  let image: Promise<LocalImage> | undefined;
  // Pull progress goes nowhere yet: the build's progress stream will carry it.
  const resolve = (signal: AbortSignal): Promise<LocalImage> => (image ??= localOrPulled(context.engine, reference, discard(), signal));
  return {
    outputs: 1,
    cacheMap: async (signal) => {
      const { config, manifestDesc } = await resolve(signal);
      // The key is the layers'; a change is told by the manifest digest users know.
      const facets = [{ name: `base image ${reference}`, value: manifestDesc.digest, shown: true }];
      return { digest: digestBytes(JSON.stringify(['docker-image layers', config.rootfs.diff_ids])), deps: [], facets };
    },
    exec: async (_inputs, signal) => {
      const { manifest, config } = await resolve(signal);
      if (manifest.layers.length === 0) return [{ snapshot: undefined }];
      return [{ snapshot: await context.snapshotter.unpack(context.engine.content, manifest.layers, config.rootfs.diff_ids, signal) }];
    },
  };
}
