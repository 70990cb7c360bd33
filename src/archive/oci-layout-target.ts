// Writing images into an OCI image layout directory, which may already hold other images:
// existing blobs and index.json entries are kept. A blob streams into a temp file in the
// layout root and is renamed into blobs/sha256 only once all its bytes arrived and checked
// out, so no reader ever sees a partial blob under a digest. index.json is replaced
// atomically at the end, naming the image the way skopeo and umoci look it up.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { writeFileAtomic } from '../util/atomic-file.js';
import { parseDigest } from '../content/index.js';
import { MediaTypes, parseIndex, type Descriptor, type ImageIndex } from '../image/index.js';
import type { ImageTarget } from '../image/transfer.js';
import { KilnError } from '../util/errors.js';
import { nameAnnotations, refNameAnnotation } from './annotations.js';
import { blobFilePath, checkLayoutMarker, indexFile, layoutMarker, layoutMarkerFile, readJsonFile } from './layout-files.js';

export interface OciLayoutTargetOptions {
  /**
   * Names for the root in index.json: bare tags (`latest`) or references (`app:1`, whose tag
   * becomes the ref.name). Each replaces an entry with the same ref.name. Without names the
   * root is listed unnamed.
   */
  names?: string[];
}

export class OciLayoutTarget implements ImageTarget {
  readonly location: string;
  readonly concurrency = 4;
  private readonly dir: string;
  private readonly entryAnnotations: Record<string, string>[];
  private ready: Promise<void> | undefined;

  constructor(dir: string, options: OciLayoutTargetOptions = {}) {
    this.dir = resolve(dir);
    this.location = `oci-layout:${this.dir}`;
    // Parsed now so that a bad name fails before any byte is copied.
    this.entryAnnotations = (options.names ?? []).map(nameAnnotations);
  }

  async exists(desc: Descriptor): Promise<boolean> {
    const st = await stat(blobFilePath(this.dir, parseDigest(desc.digest))).catch(() => undefined);
    return st !== undefined && st.isFile() && st.size === desc.size;
  }

  async writeBlob(desc: Descriptor, content: Readable): Promise<void> {
    await this.prepare();
    const blob = blobFilePath(this.dir, parseDigest(desc.digest));
    const temp = join(this.dir, `.kiln-blob-${randomBytes(8).toString('hex')}.tmp`);
    try {
      await pipeline(content, createWriteStream(temp, { flags: 'wx' }));
      const { size } = await stat(temp);
      if (size !== desc.size) {
        throw new KilnError('FAILED_PRECONDITION', `blob ${desc.digest} for ${this.location} has ${size} bytes instead of ${desc.size}; refused`);
      }
      await rename(temp, blob);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
  }

  async writeManifest(desc: Descriptor, bytes: Uint8Array): Promise<void> {
    await this.writeBlob(desc, Readable.from([Buffer.from(bytes)]));
  }

  async finish(root: Descriptor): Promise<void> {
    await this.prepare();
    const index = await this.readIndex();
    const entry: Descriptor = { mediaType: root.mediaType, digest: root.digest, size: root.size };
    if (root.platform !== undefined) entry.platform = root.platform;
    const added = this.entryAnnotations.map((annotations) => ({ ...entry, annotations }));
    const replaced = new Set(added.map((d) => d.annotations[refNameAnnotation]).filter((n) => n !== undefined));
    const kept = index.manifests.filter((d) => {
      const refName = d.annotations?.[refNameAnnotation];
      if (refName !== undefined) return !replaced.has(refName);
      // An unnamed entry for the same root would only duplicate it.
      return d.digest !== root.digest;
    });
    index.manifests = [...kept, ...(added.length > 0 ? added : [entry])];
    await writeFileAtomic(join(this.dir, indexFile), JSON.stringify(index));
  }

  /** Creates the layout's skeleton once; an existing layout must be one this code can extend. */
  private prepare(): Promise<void> {
    this.ready ??= this.createLayout();
    return this.ready;
  }

  private async createLayout(): Promise<void> {
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    const markerPath = join(this.dir, layoutMarkerFile);
    const marker = await readJsonFile(markerPath).catch(ignoreMissing);
    if (marker === undefined) await writeFile(markerPath, layoutMarker);
    else checkLayoutMarker(marker, markerPath);
    const index = await readJsonFile(join(this.dir, indexFile)).catch(ignoreMissing);
    if (index === undefined) {
      const empty: ImageIndex = { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] };
      await writeFileAtomic(join(this.dir, indexFile), JSON.stringify(empty));
    }
  }

  private async readIndex(): Promise<ImageIndex> {
    const path = join(this.dir, indexFile);
    const json = await readJsonFile(path);
    try {
      return parseIndex(JSON.stringify(json));
    } catch (err) {
      throw new KilnError('INVALID_ARGUMENT', `${path} is not a valid image index: ${(err as Error).message}`, { cause: err });
    }
  }
}

function ignoreMissing(err: unknown): undefined {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  throw err;
}
