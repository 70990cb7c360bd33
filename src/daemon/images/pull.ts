// `pull`: resolve the reference at its registry, copy the manifest for the wanted platform with
// its config and layers into the store (blobs already present are not fetched), then point the
// name at it. The name is written last, so an interrupted pull leaves no image half there.
import { StoreImageTarget } from '../../content/image-transfer.js';
import { copyImage } from '../../image/copy.js';
import { hostPlatform, type Descriptor, type Platform, type TransferEvent } from '../../image/index.js';
import { formatReference, parseNormalizedReference, repositoryName, withDefaultTag, type Reference } from '../../registry/index.js';
import type { RegistryClient } from '../../registry/client.js';
import type { ImageEngine } from './engine.js';
import { repoDigestLabel } from './local.js';

export interface PullOptions {
  /** The client to pull with (a request's own credentials); default the engine's. */
  registry?: RegistryClient;
  platform?: Platform;
  /** Called once the registry has resolved the reference, before any blob moves. */
  onResolved?: (desc: Descriptor) => void;
  onEvent?: (event: TransferEvent) => void;
  signal?: AbortSignal;
}

export interface PullResult {
  ref: Reference;
  /** The digest the registry resolved the reference to (an index or a manifest). */
  digest: Descriptor['digest'];
  /** The manifest now named locally. */
  manifest: Descriptor;
  /** Whether the name pointed at this manifest already. */
  upToDate: boolean;
  /** How many blobs were downloaded. */
  downloaded: number;
}

export async function pullImage(engine: ImageEngine, text: string, options: PullOptions = {}): Promise<PullResult> {
  const ref = withDefaultTag(parseNormalizedReference(text));
  const name = formatReference(ref);
  const registry = options.registry ?? await engine.registry();
  const resolved = await registry.resolve(ref);
  options.onResolved?.(resolved);
  const previous = await engine.images.get(name);
  const repoDigest = `${repositoryName(ref)}@${resolved.digest}`;
  const target = new StoreImageTarget(engine.content, engine.images, {
    names: [name],
    labels: { ...previous?.labels, [repoDigestLabel]: repoDigest },
  });
  const result = await copyImage(registry.source(ref), target, resolved, {
    platform: options.platform ?? hostPlatform(),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return {
    ref,
    digest: resolved.digest,
    manifest: result.root,
    upToDate: previous?.target.digest === result.root.digest && result.written === 0,
    downloaded: result.written,
  };
}
