// `tag` and `rmi`. Tagging adds a record pointing at the same manifest. Removing drops records,
// then collects the blobs only the removed image used; blobs still named by another record
// stay, whatever the removal order.
import { collectGarbage, referencedBlobs, type ImageRecord } from '../../content/index.js';
import type { Digest } from '../../image/index.js';
import { formatReference, parseNormalizedReference, withDefaultTag } from '../../registry/index.js';
import { KilnError } from '../../util/errors.js';
import { engineSnapshotter, type ImageEngine } from './engine.js';
import { findImage, forgetDangling } from './local.js';

export async function tagImage(engine: ImageEngine, sourceText: string, targetText: string): Promise<string> {
  const { image } = await findImage(engine, sourceText);
  const name = formatReference(withDefaultTag(parseNormalizedReference(targetText)));
  const source = image.records[0] as ImageRecord;
  if (parseNormalizedReference(targetText).digest !== undefined) {
    throw new KilnError('INVALID_ARGUMENT', `refusing to create a tag with a digest reference: ${targetText}`);
  }
  await engine.images.put({ name, target: source.target });
  await forgetDangling(engine, source.target.digest);
  return name;
}

export interface RemoveOptions {
  /** Remove every name of an image given by ID, as `docker rmi -f` does. */
  force?: boolean;
}

export interface RemoveResult {
  untagged: string[];
  /** Blobs deleted, the image's config (its ID) first. */
  deleted: Digest[];
}

export async function removeImage(engine: ImageEngine, text: string, options: RemoveOptions = {}): Promise<RemoveResult> {
  const { image, byId } = await findImage(engine, text);
  let records = image.records;
  if (byId && records.length > 1 && options.force !== true) {
    throw new KilnError('CONFLICT', `conflict: unable to delete ${shortId(image.id)} (must be forced) - image is referenced in multiple repositories`, {
      hint: 'remove the names one by one, or pass --force to remove them all',
    });
  }
  if (!byId) records = records.slice(0, 1);
  // The image's blobs are read before its names go: afterwards nothing would lead to them.
  const candidates = await referencedBlobs(engine.content, records.map((r) => r.target));
  for (const record of records) await engine.images.delete(record.name);
  // A build step held as its layer blob (a lazy snapshot) still needs the blob the image shared.
  const roots = await engineSnapshotter(engine).lazyLayers();
  const gc = await collectGarbage(engine.content, engine.images, { candidates, gracePeriodMs: 0, roots });
  const deleted = gc.deleted.map((b) => b.digest);
  deleted.sort((a, b) => Number(b === image.id) - Number(a === image.id));
  return { untagged: records.map((r) => r.name), deleted };
}

export function shortId(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}
