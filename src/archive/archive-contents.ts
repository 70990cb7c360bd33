// The single pass over an archive that `loadArchive` makes. Every blob goes straight from the
// tar into the content store: entries named blobs/sha256/<hex> are written with that digest
// and their header size as the expectation, so the store refuses tampered bytes and keeps
// nothing of them; legacy `<id>/layer.tar` and `<id>.json` entries have no digest in their
// names and are stored under the digest of what they hold, to be checked against the image
// config afterwards. Only the archive's small JSON files are kept in memory, capped.
import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { isDigest, type BlobRef, type ContentStore, type Digest } from '../content/index.js';
import { KilnError, isKilnError } from '../util/errors.js';
import { indexFile, layoutMarkerFile, maxJsonFileSize, tooLarge } from './layout-files.js';
import { forEachEntry, type TarEntry } from './tar-reader.js';

export const manifestListFile = 'manifest.json';
export const repositoriesFile = 'repositories';

const documentFiles: ReadonlySet<string> = new Set([layoutMarkerFile, indexFile, manifestListFile, repositoriesFile]);
const blobEntryPattern = /^blobs\/sha256\/([a-f0-9]{64})$/;
/** How many links are followed to reach a file; a longer chain is a loop or hostile. */
const maxLinkDepth = 16;

export interface StoredBlob extends BlobRef {
  /** Starts with the gzip magic: a compressed layer, whose digest is not its diff_id. */
  gzip: boolean;
}

export interface ArchiveContents {
  /** oci-layout, index.json, manifest.json and repositories, as read. */
  documents: Map<string, Buffer>;
  /** Follows symlinks and hard links between entries to the blob stored for a path. */
  blobAt(path: string): StoredBlob | undefined;
}

export async function readArchiveContents(input: Readable, store: ContentStore, where: string): Promise<ArchiveContents> {
  const documents = new Map<string, Buffer>();
  const blobs = new Map<string, StoredBlob>();
  const links = new Map<string, string>();
  await forEachEntry(input, where, async (entry) => {
    const name = entryPath(entry.header.name);
    const { type, linkname } = entry.header;
    if (type === 'file' || type === 'contiguous-file') {
      if (documentFiles.has(name)) documents.set(name, await readDocument(entry, name));
      else if (isBlobEntry(name)) blobs.set(name, await storeEntry(store, entry, name));
      else await drain(entry);
    } else {
      // A symlink's target is relative to its directory; a hard link's to the archive root.
      if (type === 'symlink') links.set(name, posix.join(posix.dirname(name), linkname));
      if (type === 'link') links.set(name, entryPath(linkname));
      await drain(entry);
    }
  });
  return { documents, blobAt: (path) => follow(entryPath(path), blobs, links) };
}

/** Archive paths compare without `./`, leading `/` or a trailing `/`. */
export function entryPath(name: string): string {
  return posix.normalize(`/${name}`).slice(1).replace(/\/$/, '');
}

/** Blobs of a layout, and the layers and configs of a legacy docker save. */
function isBlobEntry(name: string): boolean {
  return blobEntryPattern.test(name) || name.endsWith('/layer.tar') || (!name.includes('/') && name.endsWith('.json'));
}

function follow(path: string, blobs: Map<string, StoredBlob>, links: Map<string, string>): StoredBlob | undefined {
  let current = path;
  for (let depth = 0; depth <= maxLinkDepth; depth++) {
    const blob = blobs.get(current);
    if (blob !== undefined) return blob;
    const next = links.get(current);
    if (next === undefined) return undefined;
    current = entryPath(next);
  }
  return undefined;
}

async function readDocument(entry: TarEntry, name: string): Promise<Buffer> {
  if (entry.header.size > maxJsonFileSize) throw tooLarge(`archive entry ${name}`);
  const chunks: Buffer[] = [];
  for await (const chunk of entry) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function storeEntry(store: ContentStore, entry: TarEntry, name: string): Promise<StoredBlob> {
  const hex = blobEntryPattern.exec(name)?.[1];
  const digest = hex === undefined ? undefined : `sha256:${hex}`;
  const expected: Partial<BlobRef> = { size: entry.header.size };
  if (digest !== undefined && isDigest(digest)) {
    expected.digest = digest;
    const held = await store.info(digest);
    // A blob the store holds already is skipped: its bytes were verified when it was stored.
    if (held !== undefined && held.size === entry.header.size) return { ...(await skip(store, entry, held)), size: held.size };
  }
  const writer = await store.writer(`archive-load-${randomUUID()}`, expected);
  let head = Buffer.alloc(0);
  try {
    for await (const chunk of entry) {
      if (head.byteLength < 2) head = Buffer.concat([head, chunk as Buffer]).subarray(0, 2);
      await writer.write(chunk as Buffer);
    }
    const stored = await writer.commit();
    return { ...stored, gzip: isGzip(head) };
  } catch (err) {
    await writer.abort();
    if (isKilnError(err) && err.code === 'FAILED_PRECONDITION') {
      throw new KilnError('INVALID_ARGUMENT', `archive entry ${name} does not hold the content its name or header promises: ${err.message}`, {
        hint: 'the archive is corrupt or was tampered with; nothing of this blob was stored',
        cause: err,
      });
    }
    throw err;
  }
}

/** Drains an entry whose blob is stored already; its compression is read from the store's copy. */
async function skip(store: ContentStore, entry: TarEntry, held: BlobRef): Promise<{ digest: Digest; gzip: boolean }> {
  await drain(entry);
  const stream = await store.read(held, { start: 0, end: Math.min(2, held.size) });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return { digest: held.digest, gzip: isGzip(Buffer.concat(chunks)) };
}

async function drain(entry: TarEntry): Promise<void> {
  for await (const chunk of entry) void chunk;
}

function isGzip(head: Buffer): boolean {
  return head.byteLength >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}
