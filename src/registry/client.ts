// The OCI distribution client: what kiln asks of a registry (ping, login, resolving a
// reference to a manifest descriptor) and the ImageSource / ImageTarget through which images
// are pulled and pushed. One client holds the connections, the per-registry scheme and the
// token cache; `close()` releases the connections.
import { digestBytes, isDigest } from '../content/index.js';
import { isIndex, isManifest, type Descriptor, type ImageSource, type ImageTarget } from '../image/index.js';
import { kilnVersion } from '../util/version.js';
import { KilnError } from '../util/errors.js';
import type { Credential, Keychain } from './keychain.js';
import { formatReference, registryHost, type Reference } from './reference.js';
import { headerValue, manifestAccept, pullScope, Repository } from './repository.js';
import { RegistrySource } from './source.js';
import { RegistryTarget } from './target.js';
import { RegistryTransport } from './transport.js';
import { defaultRetryPolicy } from './retry.js';

export interface RegistryClientOptions {
  keychain?: Keychain;
  /** `host`, `host:port` or CIDR entries that may use plain HTTP and unverified TLS. */
  insecureRegistries?: string[];
  userAgent?: string;
  retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** Above 0: upload blobs in PATCH chunks of this many bytes; 0: one streamed PUT. */
  chunkSize?: number;
  /** How many blobs a push sends at once. */
  blobConcurrency?: number;
}

export interface TargetOptions {
  /** Repositories of the same registry that may hold a blob, to mount it from instead of uploading. */
  mountFrom?: (desc: Descriptor) => Promise<string[]> | string[];
}

export class RegistryClient {
  private readonly transport: RegistryTransport;
  private readonly chunkSize: number;
  private readonly blobConcurrency: number;

  constructor(options: RegistryClientOptions = {}) {
    this.transport = new RegistryTransport({
      keychain: options.keychain,
      insecureRegistries: options.insecureRegistries ?? [],
      userAgent: options.userAgent ?? `kiln/${kilnVersion()}`,
      retry: { ...defaultRetryPolicy, ...options.retry },
    });
    this.chunkSize = options.chunkSize ?? 0;
    this.blobConcurrency = options.blobConcurrency ?? 4;
  }

  /** Checks that the registry answers its API root, with authentication if it asks for it. */
  async ping(host: string): Promise<void> {
    await pingWith(this.transport, host);
  }

  /** Verifies `credential` against the registry, as `kiln login` does before storing it. */
  async login(host: string, credential: Credential): Promise<void> {
    const fixed: Keychain = { resolve: async () => credential };
    await pingWith(this.transport.withKeychain(fixed), host, true);
  }

  /** The descriptor of the manifest or index a tag or digest names. */
  async resolve(ref: Reference): Promise<Descriptor> {
    const repo = new Repository(this.transport, ref);
    const name = ref.digest ?? ref.tag ?? 'latest';
    const request = {
      path: repo.url(`manifests/${name}`),
      headers: { accept: manifestAccept },
      scopes: [pullScope(repo.path)],
      action: 'pull',
    };
    // A HEAD failure other than "not found" or an auth refusal may be the HEAD itself (some
    // registries reject or mishandle it); the GET below then settles it, with an error body.
    const head = await repo.send({
      ...request,
      method: 'HEAD',
      accept: (status: number) => status === 200 || (status >= 400 && status !== 401 && status !== 403),
    });
    await head.body.dump();
    if (head.statusCode === 404) throw notFound(ref);
    const fromHead = head.statusCode === 200 ? describe(head.headers, ref) : undefined;
    if (fromHead !== undefined) return fromHead;
    // Some registries omit the digest or length on HEAD; the document itself settles it.
    const get = await repo.send({ ...request, method: 'GET', accept: (status: number) => status === 200 || status === 404 });
    if (get.statusCode === 404) {
      await get.body.dump();
      throw notFound(ref);
    }
    const bytes = await repo.readDocument(get.body);
    const digest = digestBytes(bytes);
    if (ref.digest !== undefined && ref.digest !== digest) {
      throw new KilnError('INTERNAL', `registry ${repo.ctx.registry} served ${formatReference(ref)} with digest ${digest}`, {
        details: { reference: formatReference(ref) },
      });
    }
    // Content-Type wins when it names a manifest type; some registries send a generic one.
    const served = headerValue(get.headers, 'content-type')?.split(';')[0]?.trim() ?? '';
    const mediaType = isManifest(served) || isIndex(served) ? served : mediaTypeOf(bytes);
    return { mediaType, digest, size: bytes.byteLength };
  }

  source(ref: Reference): ImageSource {
    return new RegistrySource(new Repository(this.transport, ref), this.transport.options.retry.attempts);
  }

  target(ref: Reference, options: TargetOptions = {}): ImageTarget {
    return new RegistryTarget(new Repository(this.transport, ref), {
      mountFrom: options.mountFrom,
      chunkSize: this.chunkSize,
      concurrency: this.blobConcurrency,
    });
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}

async function pingWith(transport: RegistryTransport, host: string, login = false): Promise<void> {
  const registry = host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
  const apiHost = registryHost({ domain: registry, path: '' });
  const response = await transport.send(apiHost, {
    method: 'GET',
    path: '/v2/',
    scopes: [],
    ctx: { registry, reference: registry },
    action: login ? 'log in to' : 'reach',
  });
  await response.body.dump();
}

function notFound(ref: Reference): KilnError {
  const name = formatReference(ref);
  return new KilnError('NOT_FOUND', `manifest for ${name} not found`, {
    hint: 'check the repository name and tag, and that you may pull it',
    details: { reference: name },
  });
}

function describe(headers: Parameters<typeof headerValue>[0], ref: Reference): Descriptor | undefined {
  const digest = headerValue(headers, 'docker-content-digest') ?? ref.digest;
  const type = headerValue(headers, 'content-type');
  const size = Number(headerValue(headers, 'content-length'));
  if (digest === undefined || !isDigest(digest) || type === undefined || !Number.isSafeInteger(size) || size <= 0) return undefined;
  if (ref.digest !== undefined && digest !== ref.digest) return undefined;
  return { mediaType: type.split(';')[0]!.trim(), digest, size };
}

/** The mediaType field of a document served without a usable Content-Type. */
function mediaTypeOf(bytes: Buffer): string {
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown };
    if (typeof parsed.mediaType === 'string') return parsed.mediaType;
  } catch {
    // Not JSON: fall through to the error.
  }
  throw new KilnError('INVALID_ARGUMENT', 'registry served a manifest without a media type');
}
