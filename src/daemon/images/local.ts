// Finding local images the way docker does: by name (familiar or full, `:latest` implied),
// by `name@digest`, or by image ID (the config digest) or any unique prefix of it. An image is
// the set of names whose records lead to the same config.
import { LRUCache } from 'lru-cache';
import type { ImageRecord } from '../../content/images.js';
// Modules, not the folders' index files: this is on `kiln run`'s path, which must not load the
// registry client or the copy machinery.
import { isIndex } from '../../image/mediatypes.js';
import { hostPlatform } from '../../image/platform-parse.js';
import { selectManifest } from '../../image/select.js';
import type { Descriptor, Digest, ImageConfig, ImageManifest } from '../../image/types.js';
import { parseImageConfig, parseIndex, parseManifest } from '../../image/validate.js';
import { maxDocumentSize } from '../../image/copy-blob.js';
import { formatReference, parseNormalizedReference, withDefaultTag } from '../../registry/reference.js';
import { KilnError } from '../../util/errors.js';
import type { ImageEngine } from './engine.js';

/**
 * The record name of an image that has no name (loaded untagged, or whose tag moved on), as
 * docker's containerd store names them: it keeps the image listable, findable by ID and safe
 * from garbage collection. The record goes as soon as the image gets a real name.
 */
export function danglingName(manifest: Digest): string {
  return `kiln-dangling@${manifest}`;
}

export function isDangling(name: string): boolean {
  return name.startsWith('kiln-dangling@');
}

/** Drops the dangling record of an image that has just been given a name, if it had one. */
export async function forgetDangling(engine: ImageEngine, manifest: Digest): Promise<void> {
  await engine.images.delete(danglingName(manifest)).catch((err: unknown) => {
    if (!(err instanceof KilnError && err.code === 'NOT_FOUND')) throw err;
  });
}

/** The label under which a pulled or pushed image remembers its registry digest (docker's RepoDigests). */
export const repoDigestLabel = 'io.kiln.image.repo-digests';

export interface LocalImage {
  /** The image ID: the config's digest, as docker shows it. */
  id: Digest;
  /** Every record naming this image, sorted by name. */
  records: ImageRecord[];
  manifestDesc: Descriptor;
  manifest: ImageManifest;
  config: ImageConfig;
  configDesc: Descriptor;
}

/** The manifest and config behind a record; an index target resolves to this machine's platform. */
export async function readImage(engine: ImageEngine, record: ImageRecord): Promise<LocalImage> {
  return { ...(await readTarget(engine, record.target, record.name)), records: [record] };
}

/** The image a manifest or index descriptor leads to, before any name is attached to it. */
/** A manifest, index or config from the store, bounded and verified. */
async function readStoredDocument(engine: ImageEngine, desc: Descriptor): Promise<Uint8Array> {
  if (desc.size > maxDocumentSize) {
    throw new KilnError('INVALID_ARGUMENT', `${desc.mediaType} ${desc.digest} is ${desc.size} bytes, more than the ${maxDocumentSize} allowed for an image document`);
  }
  return engine.content.readSmall(desc);
}

/**
 * What a target leads to, per engine: its documents are content-addressed, so the answer for a
 * digest never changes, and a long-lived engine running one image again and again reads and
 * verifies them once. Shared between callers, so read-only. The platform is the host's, fixed.
 */
const targetCaches = new WeakMap<ImageEngine, LRUCache<string, Omit<LocalImage, 'records'>>>();
const targetCacheSize = 256;

export async function readTarget(engine: ImageEngine, target: Descriptor, shownAs: string = target.digest): Promise<Omit<LocalImage, 'records'>> {
  let cache = targetCaches.get(engine);
  if (cache === undefined) {
    cache = new LRUCache({ max: targetCacheSize });
    targetCaches.set(engine, cache);
  }
  // Keyed by size too: a descriptor whose size disagrees is read, and refused, by the store.
  const key = `${target.digest}/${target.size}`;
  const known = cache.get(key);
  if (known !== undefined) return known;
  const read = await readTargetFromStore(engine, target, shownAs);
  cache.set(key, read);
  return read;
}

async function readTargetFromStore(engine: ImageEngine, target: Descriptor, shownAs: string): Promise<Omit<LocalImage, 'records'>> {
  let manifestDesc = target;
  if (isIndex(manifestDesc.mediaType)) {
    const index = parseIndex(await readStoredDocument(engine, manifestDesc));
    const chosen = selectManifest(index, hostPlatform());
    if (chosen === undefined) throw new KilnError('NOT_FOUND', `image ${shownAs} has no manifest for this platform`);
    manifestDesc = chosen;
  }
  const manifest = parseManifest(await readStoredDocument(engine, manifestDesc));
  const config = parseImageConfig(await readStoredDocument(engine, manifest.config));
  return { id: manifest.config.digest, manifestDesc, manifest, config, configDesc: manifest.config };
}

/** Every local image, records grouped by image ID, newest first as `docker images` lists them. */
export async function listImages(engine: ImageEngine): Promise<LocalImage[]> {
  const byId = new Map<string, LocalImage>();
  // Names of one image share its documents: each target is read once.
  const byTarget = new Map<string, Omit<LocalImage, 'records'>>();
  for (const record of await engine.images.list()) {
    let read = byTarget.get(record.target.digest);
    if (read === undefined) {
      read = await readTarget(engine, record.target, record.name);
      byTarget.set(record.target.digest, read);
    }
    const known = byId.get(read.id);
    if (known === undefined) byId.set(read.id, { ...read, records: [record] });
    else known.records.push(record);
  }
  return [...byId.values()].sort((a, b) => createdTime(b) - createdTime(a));
}

export function createdTime(image: LocalImage): number {
  const t = Date.parse(image.config.created ?? '');
  return Number.isNaN(t) ? 0 : t;
}

/**
 * The local image `text` names, with all its records. For a name, that name's record comes
 * first and `byId` is false: `rmi name` untags just it. An ID or ID prefix means every record.
 */
export interface FindOptions {
  /**
   * false: an image found by name carries only that name's record, which spares reading every
   * other record (a run needs the image, not its other names). Default true.
   */
  allNames?: boolean;
}

export async function findImage(engine: ImageEngine, text: string, options: FindOptions = {}): Promise<{ image: LocalImage; byId: boolean }> {
  const hex = /^(?:sha256:)?([a-f0-9]{1,64})$/.exec(text)?.[1];
  if (hex?.length === 64) {
    const found = await findById(engine, hex);
    if (found !== undefined) return { image: found, byId: true };
  }
  const byName = await findByName(engine, text, options.allNames ?? true);
  if (byName !== undefined) return { image: byName, byId: false };
  if (hex !== undefined) {
    const found = await findById(engine, hex);
    if (found !== undefined) return { image: found, byId: true };
  }
  throw new KilnError('NOT_FOUND', `No such image: ${text}`);
}

async function findByName(engine: ImageEngine, text: string, allNames: boolean): Promise<LocalImage | undefined> {
  let name: string;
  try {
    name = formatReference(withDefaultTag(parseNormalizedReference(text)));
  } catch {
    return undefined;
  }
  const record = await engine.images.get(name);
  if (record === undefined) return undefined;
  const image = await readImage(engine, record);
  if (!allNames) return image;
  // Every other name of the same image, after the one asked for (which `rmi` and `save` use alone).
  const others = (await engine.images.list()).filter((r) => r.name !== name && r.target.digest === record.target.digest);
  return { ...image, records: [record, ...others] };
}

async function findById(engine: ImageEngine, hexPrefix: string): Promise<LocalImage | undefined> {
  const matches = (await listImages(engine)).filter((image) => image.id.slice('sha256:'.length).startsWith(hexPrefix));
  if (matches.length > 1) {
    throw new KilnError('INVALID_ARGUMENT', `image ID prefix ${hexPrefix} is ambiguous: it matches ${matches.length} images`, {
      hint: 'give more characters of the ID, or the image name',
    });
  }
  return matches[0];
}

/** The registry digests recorded for an image, as `repo@sha256:…`. */
export function repoDigests(image: LocalImage): string[] {
  const all = image.records.flatMap((r) => (r.labels?.[repoDigestLabel] ?? '').split(',').filter((s) => s !== ''));
  return [...new Set(all)].sort();
}
