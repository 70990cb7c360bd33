// `https://...` and `http://...` sources (ADD of a URL), as BuildKit's http source: the body is
// one file, `http.filename` (default: the URL path's last element) at the root of a snapshot of
// its own, mode `http.perm` (0600 unless given), owned by root, its mtime the response's
// Last-Modified.
//
// Cache: with `http.checksum` the key is that digest, so a build with a pinned download does
// not ask the server at all when the step is cached; without it the body is downloaded and the
// key is its digest (a content-keyed source: a changed file reruns what reads it, an unchanged
// one hits). The body streams into the content store, hashed on the way, and is refused before
// it is kept when it does not match the checksum.
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fetch } from 'undici';
import { digestBytes, digestOf, newDigester, type Digest } from '../content/index.js';
import { sourceAttrs, urlFileName, type SourceOp } from '../llb/index.js';
import { mountAll, unmountAll } from '../snapshot/index.js';
import type { Op } from '../solver/index.js';
import { KilnError } from '../util/errors.js';
import type { BuildOpContext, SnapshotRef } from './context.js';
import { commitStep } from './step.js';

export function isHttpSource(identifier: string): boolean {
  return /^https?:\/\//i.test(identifier);
}

interface Download {
  digest: Digest;
  size: number;
  lastModified: Date | undefined;
}

function failure(url: string, reason: string, code: 'UNAVAILABLE' | 'NOT_FOUND' = 'UNAVAILABLE', cause?: unknown): KilnError {
  return new KilnError(code, `ADD ${url}: ${reason}`, cause === undefined ? {} : { cause });
}

/** Streams the body into the content store; a checksum is checked before the blob is kept. */
async function download(context: BuildOpContext, url: string, checksum: Digest | undefined, signal: AbortSignal): Promise<Download> {
  let response: Awaited<ReturnType<typeof fetch>>;
  try {
    response = await fetch(url, { signal, redirect: 'follow' });
  } catch (err) {
    if (signal.aborted) throw err;
    throw failure(url, `the download failed: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`, 'UNAVAILABLE', err);
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel().catch(() => undefined);
    throw failure(url, `the server answered ${response.status} ${response.statusText}`, response.status === 404 ? 'NOT_FOUND' : 'UNAVAILABLE');
  }
  const writer = await context.engine.content.writer(`http-${digestBytes(url).slice(7, 23)}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  const hash = newDigester();
  let size = 0;
  try {
    for await (const bytes of response.body) {
      hash.update(bytes);
      size += bytes.length;
      await writer.write(bytes);
    }
    const digest = digestOf(hash);
    if (checksum !== undefined && digest !== checksum) {
      throw new KilnError('INVALID_ARGUMENT', `ADD ${url}: checksum mismatch: expected ${checksum}, got ${digest}`, {
        hint: 'the file at the URL changed, or --checksum is wrong',
      });
    }
    await writer.commit(size, digest);
    const modified = response.headers.get('last-modified');
    const lastModified = modified === null || Number.isNaN(Date.parse(modified)) ? undefined : new Date(modified);
    return { digest, size, lastModified };
  } catch (err) {
    await writer.abort().catch(() => undefined);
    if (err instanceof KilnError || signal.aborted) throw err;
    throw failure(url, `the download failed: ${err instanceof Error ? err.message : String(err)}`, 'UNAVAILABLE', err);
  }
}

function checksumOf(op: SourceOp): Digest | undefined {
  const value = op.attrs[sourceAttrs.httpChecksum];
  if (value === undefined || value === '') return undefined;
  if (!/^sha256:[0-9a-f]{64}$/.test(value)) {
    throw new KilnError('NOT_IMPLEMENTED', `ADD ${op.identifier}: checksum ${value} is not supported`, { hint: 'give sha256:<64 hex digits>' });
  }
  return value as Digest;
}

export function httpSourceOp(context: BuildOpContext, op: SourceOp): Op<SnapshotRef> {
  const url = op.identifier;
  const checksum = checksumOf(op);
  const filename = op.attrs[sourceAttrs.httpFilename] ?? urlFileName(url);
  if (filename.includes('/') || filename === '' || filename === '.' || filename === '..') {
    throw new KilnError('INVALID_ARGUMENT', `ADD ${url}: invalid file name ${JSON.stringify(filename)}`);
  }
  const perm = Number.parseInt(op.attrs[sourceAttrs.httpPerm] ?? '600', 8);
  let fetched: Promise<Download> | undefined;
  const body = (signal: AbortSignal): Promise<Download> => (fetched ??= download(context, url, checksum, signal));
  return {
    outputs: 1,
    cacheMap: async (signal) => {
      const digest = checksum ?? (await body(signal)).digest;
      return { digest: digestBytes(JSON.stringify(['http', digest, filename, perm])), deps: [] };
    },
    exec: async (_inputs, signal) => {
      const got = await body(signal);
      const snapshot = await commitStep(context, 'http', undefined, async ({ dir, mounts }) => {
        const root = join(dir, 'rootfs');
        await mkdir(root, { recursive: true });
        await mountAll(mounts, root);
        try {
          const file = join(root, filename);
          await pipeline(await context.engine.content.read({ digest: got.digest, size: got.size }), createWriteStream(file, { mode: perm }));
          await chmod(file, perm);
          if (got.lastModified !== undefined) await utimes(file, got.lastModified, got.lastModified);
        } finally {
          await unmountAll(root);
        }
      });
      return [{ snapshot }];
    },
  };
}
