// `--push`: each name of the built image copied to its registry once the image is in the store,
// shown as BuildKit shows it: `pushing layers` while the blobs go up, then `pushing manifest
// for <ref>@<digest>`. A failed push fails the build and names the reference.
import { isManifest, type Descriptor } from '../../image/index.js';
import type { ProgressSink } from '../../solver/index.js';
import { KilnError } from '../../util/errors.js';
import type { RegistryClient } from '../../registry/client.js';
import { pushImage } from '../images/push.js';
import { ProgressStep } from './progress-step.js';
import type { ImageEngine } from '../images/engine.js';

export interface PushOutputOptions {
  progress?: ProgressSink;
  signal?: AbortSignal;
  registry?: () => Promise<RegistryClient>;
}

/** Pushes `name` (in the store, pointing at `manifest`). */
export async function pushBuiltImage(engine: ImageEngine, name: string, manifest: Descriptor, options: PushOutputOptions): Promise<void> {
  const layers = new ProgressStep(options.progress, 'pushing layers', name);
  let manifestStep: ProgressStep | undefined;
  try {
    await pushImage(engine, name, {
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.registry === undefined ? {} : { registry: await options.registry() }),
      // The manifest goes last, once every blob it names is there: its start ends the layers.
      onEvent: (event) => {
        if (manifestStep !== undefined || event.desc.digest !== manifest.digest || !isManifest(event.desc.mediaType)) return;
        layers.end();
        manifestStep = new ProgressStep(options.progress, `pushing manifest for ${name}@${manifest.digest}`);
      },
    });
    layers.end();
    (manifestStep ?? new ProgressStep(options.progress, `pushing manifest for ${name}@${manifest.digest}`)).end();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    (manifestStep ?? layers).end(message);
    if (err instanceof KilnError && err.code === 'CANCELED') throw err;
    throw new KilnError(err instanceof KilnError ? err.code : 'INTERNAL', `failed to push ${name}: ${message}`, {
      cause: err, details: { reference: name },
      ...(err instanceof KilnError && err.hint !== undefined ? { hint: err.hint } : {}),
    });
  }
}
