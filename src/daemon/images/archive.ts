// `save` and `load`: images out to a docker-archive / OCI tar or an OCI layout directory, and
// back in from any of those (docker save of every era, buildx type=oci/docker, skopeo). Loading
// writes blobs through the verified store first and names the images last.
import { stat } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { DockerArchiveTarget } from '../../archive/docker-archive.js';
import { loadArchive } from '../../archive/load.js';
import { OciLayoutSource } from '../../archive/oci-layout-source.js';
import { OciLayoutTarget } from '../../archive/oci-layout-target.js';
import { StoreImageSource, StoreImageTarget } from '../../content/index.js';
import { copyImage, type Descriptor } from '../../image/index.js';
import { formatReference, parseNormalizedReference, withDefaultTag } from '../../registry/index.js';
import type { ImageEngine } from './engine.js';
import { danglingName, findImage, forgetDangling, readTarget } from './local.js';

interface SaveImage {
  root: Descriptor;
  names: string[];
}

/** What to save for each argument: an image by name carries that name; by ID, every name it has. */
async function selectImages(engine: ImageEngine, texts: string[]): Promise<SaveImage[]> {
  const images: SaveImage[] = [];
  for (const text of texts) {
    const { image, byId } = await findImage(engine, text);
    const records = byId ? image.records : image.records.slice(0, 1);
    const root = records[0]?.target ?? image.manifestDesc;
    const names = records.map((r) => r.name).filter((n) => !n.includes('@'));
    const same = images.find((i) => i.root.digest === root.digest);
    if (same === undefined) images.push({ root, names });
    else same.names.push(...names.filter((n) => !same.names.includes(n)));
  }
  return images;
}

export async function saveImages(engine: ImageEngine, texts: string[], out: Writable, format: 'docker' | 'oci'): Promise<void> {
  const images = await selectImages(engine, texts);
  const target = new DockerArchiveTarget(out, { images, format });
  const source = new StoreImageSource(engine.content);
  for (const image of images) await copyImage(source, target, image.root);
  await target.close();
}

export async function saveLayout(engine: ImageEngine, texts: string[], dir: string): Promise<void> {
  const source = new StoreImageSource(engine.content);
  for (const image of await selectImages(engine, texts)) {
    await copyImage(source, new OciLayoutTarget(dir, { names: image.names }), image.root);
  }
}

export interface LoadedImageResult {
  /** Full names now pointing at the image. */
  names: string[];
  /** The image ID (config digest). */
  id: string;
}

/** Loads a tar stream (docker-archive, OCI, gzip or not). */
export async function loadImages(engine: ImageEngine, input: Readable): Promise<LoadedImageResult[]> {
  const loaded = await loadArchive(input, engine.content);
  const results: LoadedImageResult[] = [];
  for (const image of loaded) {
    const names = image.names.map(fullName);
    await nameImage(engine, image.target, names);
    results.push({ names, id: await imageId(engine, image.target) });
  }
  return results;
}

/** Loads every image of an OCI layout directory; entries named by a bare tag get no name. */
export async function loadLayout(engine: ImageEngine, dir: string): Promise<LoadedImageResult[]> {
  const source = await OciLayoutSource.open(dir);
  const results: LoadedImageResult[] = [];
  for (const entry of source.images()) {
    const name = entry.name !== undefined && isReference(entry.name) ? fullName(entry.name) : undefined;
    const names = name === undefined ? [] : [name];
    await copyImage(source, new StoreImageTarget(engine.content, engine.images), entry.desc);
    await nameImage(engine, entry.desc, names);
    results.push({ names, id: await imageId(engine, entry.desc) });
  }
  return results;
}

/** Points the names at the image, or keeps it as a dangling image when it has none. */
async function nameImage(engine: ImageEngine, target: Descriptor, names: string[]): Promise<void> {
  for (const name of names) await engine.images.put({ name, target });
  if (names.length > 0) await forgetDangling(engine, target.digest);
  else if ((await engine.images.byTarget(target.digest)).length === 0) await engine.images.put({ name: danglingName(target.digest), target });
}

export async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

function fullName(name: string): string {
  return formatReference(withDefaultTag(parseNormalizedReference(name)));
}

function isReference(name: string): boolean {
  if (!/[/:]/.test(name)) return false; // a bare tag such as "latest"
  try {
    parseNormalizedReference(name);
    return true;
  } catch {
    return false;
  }
}

async function imageId(engine: ImageEngine, target: Descriptor): Promise<string> {
  return (await readTarget(engine, target)).id;
}
