// Writing images as a docker-archive, the tar `docker save` writes since Docker 25: an OCI
// image layout (oci-layout, blobs/sha256/<hex>, index.json) with Docker's manifest.json and
// repositories beside it, so both `docker load` of any version since 1.10 and OCI tools can
// read it. Entries are written in the order the copier delivers them, so the target takes
// one blob at a time; the files describing the images come last, when all blobs are in.
import type { Readable, Writable } from 'node:stream';
import { parseDigest, type Digest } from '../content/index.js';
import {
  MediaTypes, isAttestation, parseIndex, parseManifest, type Descriptor, type ImageIndex,
} from '../image/index.js';
import type { ImageTarget } from '../image/transfer.js';
import { KilnError } from '../util/errors.js';
import { blobEntryName, indexFile, layoutMarker, layoutMarkerFile } from './layout-files.js';
import { annotationsFor, dockerImageFiles, type ArchiveImage, type RootManifest } from './docker-manifest.js';
import { TarWriter } from './tar-writer.js';

export interface DockerArchiveOptions {
  /** The images the archive will hold, each with the references to name it by. */
  images: ArchiveImage[];
  /** 'docker' (default) adds manifest.json and repositories; 'oci' writes the layout alone. */
  format?: 'docker' | 'oci';
}

export class DockerArchiveTarget implements ImageTarget {
  readonly location = 'docker-archive';
  readonly concurrency = 1;
  private readonly tar: TarWriter;
  private readonly written = new Set<Digest>();
  /** Manifests and indexes by digest: manifest.json is derived from them at the end. */
  private readonly documents = new Map<Digest, Uint8Array>();
  private readonly finished = new Set<Digest>();
  private started: Promise<void> | undefined;

  constructor(out: Writable, private readonly options: DockerArchiveOptions) {
    this.tar = new TarWriter(out);
  }

  async exists(desc: Descriptor): Promise<boolean> {
    return this.written.has(parseDigest(desc.digest));
  }

  async writeBlob(desc: Descriptor, content: Readable): Promise<void> {
    const digest = parseDigest(desc.digest);
    await this.start();
    if (this.written.has(digest)) {
      content.resume();
      return;
    }
    await this.tar.stream(blobEntryName(digest), desc.size, content);
    this.written.add(digest);
  }

  async writeManifest(desc: Descriptor, bytes: Uint8Array): Promise<void> {
    const digest = parseDigest(desc.digest);
    await this.start();
    this.documents.set(digest, bytes);
    if (this.written.has(digest)) return;
    await this.tar.file(blobEntryName(digest), bytes);
    this.written.add(digest);
  }

  async finish(root: Descriptor): Promise<void> {
    const digest = parseDigest(root.digest);
    if (!this.documents.has(digest)) {
      throw new KilnError('FAILED_PRECONDITION', `image ${root.digest} was finished before its manifest was written to the archive`);
    }
    this.finished.add(digest);
  }

  /** Writes index.json (and manifest.json, repositories), ends the tar and waits for `out`. */
  async close(): Promise<void> {
    try {
      this.tar.assertIntact();
      await this.start();
      const missing = this.options.images.find((image) => !this.finished.has(parseDigest(image.root.digest)));
      if (missing !== undefined) {
        throw new KilnError('FAILED_PRECONDITION', `image ${missing.root.digest} (${missing.names.join(', ') || 'unnamed'}) was not copied into the archive`);
      }
      await this.tar.file(indexFile, JSON.stringify(this.index()));
      if ((this.options.format ?? 'docker') === 'docker') {
        const files = dockerImageFiles(this.options.images, (digest) => this.manifestFor(digest));
        await this.tar.file('manifest.json', JSON.stringify(files.manifest));
        if (files.repositories !== undefined) await this.tar.file('repositories', JSON.stringify(files.repositories));
      }
      await this.tar.close();
    } catch (err) {
      this.tar.abort(err as Error);
      throw err;
    }
  }

  /** The archive opens with the layout marker and the blob directories, as docker save's does. */
  private start(): Promise<void> {
    this.started ??= (async () => {
      await this.tar.file(layoutMarkerFile, layoutMarker);
      await this.tar.directory('blobs/');
      await this.tar.directory('blobs/sha256/');
    })();
    return this.started;
  }

  /** One entry per name, as docker save writes; an unnamed image still gets one, to be found. */
  private index(): ImageIndex {
    const manifests = this.options.images.flatMap(({ root, names }) => {
      const entry: Descriptor = { mediaType: root.mediaType, digest: root.digest, size: root.size };
      if (root.platform !== undefined) entry.platform = root.platform;
      const named = names.map((name) => ({ ...entry, annotations: annotationsFor(name) }));
      return named.length > 0 ? named : [entry];
    });
    return { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests };
  }

  /**
   * The single-platform manifest manifest.json describes for a root: the root itself, or for
   * an index the first image manifest of it that the archive holds (docker load runs one
   * platform), preferring entries listed first as docker does.
   */
  private manifestFor(digest: Digest): RootManifest | undefined {
    const bytes = this.documents.get(digest);
    if (bytes === undefined) return undefined;
    // The copier has parsed every document already; only the kind is asked here.
    const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as { manifests?: unknown };
    if (doc.manifests === undefined) return { digest, manifest: parseManifest(bytes) };
    for (const child of parseIndex(bytes).manifests) {
      if (isAttestation(child)) continue;
      const found = this.manifestFor(parseDigest(child.digest));
      if (found !== undefined) return found;
    }
    return undefined;
  }
}
