// A repository on a registry as the HTTP calls need it: which host to contact, how the user
// names the registry in messages, its `/v2/<name>` prefix and auth scopes.
import type { Dispatcher } from './http-client.js';
import { KilnError } from '../util/errors.js';
import { MediaTypes } from '../image/index.js';
import { readCappedBytes } from './auth.js';
import { formatReference, registryHost, type Reference } from './reference.js';
import type { RequestContext } from './registry-errors.js';
import type { RegistryRequest, RegistryTransport } from './transport.js';

/** Every manifest and index type kiln reads, for Accept headers. */
export const manifestAccept = [
  MediaTypes.ociManifest, MediaTypes.ociIndex, MediaTypes.dockerManifest, MediaTypes.dockerManifestList,
].join(', ');

/** Manifests and indexes are small; a larger document is refused rather than buffered. */
export const maxManifestBytes = 4 * 1024 * 1024;

export function pullScope(path: string): string {
  return `repository:${path}:pull`;
}

export function pushScope(path: string): string {
  return `repository:${path}:pull,push`;
}

export class Repository {
  readonly host: string;
  readonly ctx: RequestContext;

  constructor(readonly transport: RegistryTransport, readonly ref: Reference) {
    this.host = registryHost(ref);
    this.ctx = { registry: ref.domain === '' ? 'docker.io' : ref.domain, repository: ref.path, reference: formatReference(ref) };
  }

  get path(): string {
    return this.ref.path;
  }

  url(suffix: string): string {
    return `/v2/${this.ref.path}/${suffix}`;
  }

  send(req: Omit<RegistryRequest, 'ctx'>): Promise<Dispatcher.ResponseData> {
    return this.transport.send(this.host, { ...req, ctx: this.ctx });
  }

  /** Reads a manifest body, refusing one larger than the cap. */
  async readDocument(body: Dispatcher.ResponseData['body']): Promise<Buffer> {
    const bytes = await readCappedBytes(body, maxManifestBytes + 1);
    if (bytes.byteLength > maxManifestBytes) {
      throw new KilnError('INVALID_ARGUMENT', `manifest of ${this.ctx.reference} is larger than ${maxManifestBytes} bytes`, {
        details: { reference: this.ctx.reference },
      });
    }
    return bytes;
  }
}

export function headerValue(headers: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
