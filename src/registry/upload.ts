// Blob uploads (distribution spec, "Pushing blobs"): POST opens an upload session, then
// either one PUT carries the whole blob (monolithic) or PATCH requests carry it chunk by
// chunk before a closing PUT. The registry checks the bytes against `?digest=` on the PUT,
// so a blob whose content does not match its descriptor is never committed. Blobs stream:
// at most one chunk is held in memory.
import type { Readable } from 'node:stream';
import type { Descriptor } from '../image/index.js';
import { KilnError } from '../util/errors.js';
import { headerValue, pushScope, type Repository } from './repository.js';

/** Where the next request of an upload session goes, with `digest` appended when closing it. */
function sessionUrl(location: string, digest?: string): string {
  // Locations may be relative and may already carry a query (distribution's `_state`).
  const url = new URL(location, 'http://placeholder');
  if (digest !== undefined) url.searchParams.set('digest', digest);
  return location.startsWith('/') ? url.pathname + url.search : url.toString();
}

function requireLocation(repo: Repository, location: string | undefined): string {
  if (location === undefined) {
    throw new KilnError('UNAVAILABLE', `registry ${repo.ctx.registry} opened an upload without a Location`, {
      details: { reference: repo.ctx.reference },
    });
  }
  return location;
}

export class BlobUploader {
  constructor(private readonly repo: Repository, private readonly scopes: readonly string[], private readonly chunkSize: number) {}

  static forPush(repo: Repository, chunkSize: number): BlobUploader {
    return new BlobUploader(repo, [pushScope(repo.path)], chunkSize);
  }

  /** Opens a session; with `mount`, asks the registry to link the blob from another repository. */
  async start(mount?: { digest: string; from: string }, signal?: AbortSignal): Promise<{ status: number; location: string | undefined }> {
    const query = mount === undefined ? '' : `?mount=${encodeURIComponent(mount.digest)}&from=${encodeURIComponent(mount.from)}`;
    const scopes = mount === undefined ? this.scopes : [...this.scopes, `repository:${mount.from}:pull`];
    const response = await this.repo.send({
      method: 'POST',
      path: this.repo.url(`blobs/uploads/${query}`),
      headers: { 'content-length': '0' },
      body: Buffer.alloc(0),
      scopes,
      action: 'push',
      accept: (status) => status === 201 || status === 202,
      signal,
    });
    await response.body.dump();
    return { status: response.statusCode, location: headerValue(response.headers, 'location') };
  }

  /** Abandons a session; best effort, the registry expires abandoned sessions anyway. */
  async cancel(location: string): Promise<void> {
    try {
      const response = await this.repo.send({
        method: 'DELETE',
        path: sessionUrl(location),
        scopes: this.scopes,
        action: 'push',
        accept: () => true,
      });
      await response.body.dump();
    } catch {
      // The session is gone or unreachable either way.
    }
  }

  async upload(desc: Descriptor, content: Readable, signal?: AbortSignal): Promise<void> {
    const session = await this.start(undefined, signal);
    const location = requireLocation(this.repo, session.location);
    try {
      if (this.chunkSize > 0) await this.chunked(desc, content, location, signal);
      else await this.monolithic(desc, content, location, signal);
    } catch (err) {
      await this.cancel(location);
      throw err;
    }
  }

  private async monolithic(desc: Descriptor, content: Readable, location: string, signal?: AbortSignal): Promise<void> {
    // The body streams once and cannot be replayed: a failure is UNAVAILABLE (transport.ts),
    // and the copier sends the whole blob again.
    const response = await this.repo.send({
      method: 'PUT',
      path: sessionUrl(location, desc.digest),
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) },
      body: content,
      scopes: this.scopes,
      action: 'push',
      accept: (status) => status === 201,
      signal,
    });
    await response.body.dump();
  }

  private async chunked(desc: Descriptor, content: Readable, location: string, signal?: AbortSignal): Promise<void> {
    let next = location;
    let offset = 0;
    for await (const chunk of chunksOf(content, this.chunkSize)) {
      next = await this.patch(next, chunk, offset, signal);
      offset += chunk.byteLength;
    }
    const response = await this.repo.send({
      method: 'PUT',
      path: sessionUrl(next, desc.digest),
      headers: { 'content-type': 'application/octet-stream', 'content-length': '0' },
      body: Buffer.alloc(0),
      scopes: this.scopes,
      action: 'push',
      accept: (status) => status === 201,
      signal,
    });
    await response.body.dump();
  }

  /** Sends one chunk; being a Buffer it is retried by the transport. Returns the next location. */
  private async patch(location: string, chunk: Buffer, offset: number, signal?: AbortSignal): Promise<string> {
    const response = await this.repo.send({
      method: 'PATCH',
      path: sessionUrl(location),
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(chunk.byteLength),
        'content-range': `${offset}-${offset + chunk.byteLength - 1}`,
      },
      body: chunk,
      scopes: this.scopes,
      action: 'push',
      accept: (status) => status === 202,
      signal,
    });
    await response.body.dump();
    return requireLocation(this.repo, headerValue(response.headers, 'location'));
  }
}

/** Re-slices a stream into Buffers of exactly `size` bytes (the last may be shorter). */
async function* chunksOf(content: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let length = 0;
  for await (const piece of content) {
    let data = piece as Buffer;
    while (length + data.byteLength >= size) {
      const take = size - length;
      pending.push(data.subarray(0, take));
      yield Buffer.concat(pending);
      pending = [];
      length = 0;
      data = data.subarray(take);
    }
    if (data.byteLength > 0) {
      pending.push(data);
      length += data.byteLength;
    }
  }
  if (length > 0) yield Buffer.concat(pending);
}
