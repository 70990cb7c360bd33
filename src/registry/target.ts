// Writing an image into a registry repository: blobs first (skipped when present, or mounted
// from another repository of the same registry, which costs no upload), then manifests,
// the root one under the reference's tag.
import type { Readable } from 'node:stream';
import { isIndex, isManifest, type Descriptor, type ImageTarget } from '../image/index.js';
import { KilnError } from '../util/errors.js';
import { parseNormalizedReference } from './reference.js';
import { headerValue, manifestAccept, pushScope, type Repository } from './repository.js';
import { BlobUploader } from './upload.js';

export interface RegistryTargetOptions {
  /** Repositories that may already hold a blob, as paths or full names on the same registry. */
  mountFrom?: (desc: Descriptor) => Promise<string[]> | string[];
  chunkSize: number;
  concurrency: number;
}

export class RegistryTarget implements ImageTarget {
  readonly location: string;
  readonly concurrency: number;
  /** The registry checks every upload against `?digest=` before it keeps the blob. */
  readonly verifies = true;
  private readonly uploader: BlobUploader;

  constructor(private readonly repo: Repository, private readonly options: RegistryTargetOptions) {
    this.location = repo.ctx.reference;
    this.concurrency = options.concurrency;
    this.uploader = BlobUploader.forPush(repo, options.chunkSize);
  }

  async exists(desc: Descriptor, signal?: AbortSignal): Promise<boolean> {
    const document = isManifest(desc.mediaType) || isIndex(desc.mediaType);
    const response = await this.repo.send({
      method: 'HEAD',
      path: this.repo.url(`${document ? 'manifests' : 'blobs'}/${desc.digest}`),
      headers: document ? { accept: manifestAccept } : {},
      scopes: [pushScope(this.repo.path)],
      action: 'push',
      accept: (status) => status === 200 || status === 404,
      signal,
    });
    await response.body.dump();
    if (response.statusCode === 200) return true;
    return document ? false : this.mount(desc, signal);
  }

  private async mount(desc: Descriptor, signal?: AbortSignal): Promise<boolean> {
    if (this.options.mountFrom === undefined) return false;
    for (const from of this.sameRegistry(await this.options.mountFrom(desc))) {
      const session = await this.uploader.start({ digest: desc.digest, from }, signal);
      if (session.status === 201) return true;
      // 202: the registry could not mount and opened a normal upload instead; writeBlob opens its own.
      if (session.location !== undefined) await this.uploader.cancel(session.location);
    }
    return false;
  }

  /** Mount sources as repository paths, keeping only those on this registry and not this repository. */
  private sameRegistry(candidates: string[]): string[] {
    const paths: string[] = [];
    for (const candidate of candidates) {
      let path = candidate;
      if (candidate.includes('/') && candidate.split('/')[0]?.match(/[.:]|^localhost$/)) {
        const parsed = parseNormalizedReference(candidate);
        if (parsed.domain !== this.repo.ref.domain) continue;
        path = parsed.path;
      }
      if (path !== this.repo.path && !paths.includes(path)) paths.push(path);
    }
    return paths;
  }

  async writeBlob(desc: Descriptor, content: Readable, signal?: AbortSignal): Promise<void> {
    await this.uploader.upload(desc, content, signal);
  }

  async writeManifest(desc: Descriptor, bytes: Uint8Array, root: boolean, signal?: AbortSignal): Promise<void> {
    const tag = root ? this.repo.ref.tag : undefined;
    const response = await this.repo.send({
      method: 'PUT',
      path: this.repo.url(`manifests/${tag ?? desc.digest}`),
      headers: { 'content-type': desc.mediaType },
      body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      scopes: [pushScope(this.repo.path)],
      action: 'push',
      accept: (status) => status === 201 || status === 200,
      signal,
    });
    await response.body.dump();
    const stored = headerValue(response.headers, 'docker-content-digest');
    if (stored !== undefined && stored !== desc.digest) {
      throw new KilnError('INTERNAL', `registry ${this.repo.ctx.registry} stored the manifest as ${stored}, not ${desc.digest}`, {
        hint: 'the registry rewrote the manifest; push to another registry or report this',
        details: { reference: this.repo.ctx.reference },
      });
    }
  }

  async finish(): Promise<void> {
    // Every write above is final once acknowledged; there is nothing to close.
  }
}
