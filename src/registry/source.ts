// Reading an image's documents and blobs from a registry. Bodies are handed on as streams,
// never buffered. A blob download that breaks mid-way resumes with a Range request from the
// byte where it stopped, when the registry honours ranges; otherwise, or once the retry budget
// is spent, the stream errors with UNAVAILABLE, which tells the copier to fetch it again.
import { PassThrough, type Readable } from 'node:stream';
import { isIndex, isManifest, type Descriptor, type ImageSource } from '../image/index.js';
import { KilnError } from '../util/errors.js';
import { manifestAccept, pullScope, type Repository } from './repository.js';

export class RegistrySource implements ImageSource {
  readonly location: string;

  constructor(private readonly repo: Repository, private readonly maxResumes: number) {
    this.location = repo.ctx.reference;
  }

  async fetch(desc: Descriptor, signal?: AbortSignal): Promise<Readable> {
    const body = await this.get(desc, 0, signal);
    const out = new PassThrough();
    new Download(this, desc, out, this.maxResumes, signal).follow(body);
    return out;
  }

  /** The body of the blob or document from `offset` on; a registry ignoring the Range fails it. */
  async get(desc: Descriptor, offset: number, signal?: AbortSignal): Promise<Readable> {
    const document = isManifest(desc.mediaType) || isIndex(desc.mediaType);
    const response = await this.repo.send({
      method: 'GET',
      path: this.repo.url(`${document ? 'manifests' : 'blobs'}/${desc.digest}`),
      headers: {
        ...(document ? { accept: `${desc.mediaType}, ${manifestAccept}` } : {}),
        ...(offset > 0 ? { range: `bytes=${offset}-` } : {}),
      },
      scopes: [pullScope(this.repo.path)],
      action: 'pull',
      followRedirects: true,
      accept: (status) => status === (offset > 0 ? 206 : 200),
      signal,
    });
    return response.body;
  }

  broken(desc: Descriptor, err: Error): KilnError {
    return new KilnError('UNAVAILABLE', `download of ${desc.digest} from ${this.repo.ctx.registry} broke off: ${err.message}`, {
      hint: 'the registry or the network dropped the connection; try again',
      details: { reference: this.repo.ctx.reference },
      cause: err,
    });
  }
}

/** Feeds one download into `out` across as many response bodies as resumption takes. */
class Download {
  private received = 0;
  private body: Readable | undefined;

  constructor(
    private readonly source: RegistrySource,
    private readonly desc: Descriptor,
    private readonly out: PassThrough,
    private resumesLeft: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    out.on('drain', () => this.body?.resume());
    // A consumer that gives up early must not leave the connection busy.
    out.on('close', () => this.body?.destroy());
  }

  follow(body: Readable): void {
    this.body = body;
    body.on('data', (chunk: Buffer) => {
      this.received += chunk.byteLength;
      if (!this.out.write(chunk)) body.pause();
    });
    body.on('end', () => this.out.end());
    body.on('error', (err) => void this.resume(err));
  }

  private async resume(err: Error): Promise<void> {
    if (this.out.destroyed) return;
    // Documents are small and need no resuming; a blob that got nothing is simply fetched again.
    const resumable = this.received > 0 && this.received < this.desc.size && this.resumesLeft-- > 0;
    if (!resumable || isManifest(this.desc.mediaType) || isIndex(this.desc.mediaType)) {
      this.out.destroy(this.source.broken(this.desc, err));
      return;
    }
    try {
      this.follow(await this.source.get(this.desc, this.received, this.signal));
    } catch (resumeError) {
      const canceled = resumeError instanceof KilnError && resumeError.code === 'CANCELED';
      this.out.destroy(canceled ? resumeError : this.source.broken(this.desc, err));
    }
  }
}
