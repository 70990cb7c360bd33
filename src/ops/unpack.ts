// ADD's archive extraction (the copy action's attemptUnpack), as BuildKit's file backend does
// it through docker's archive package: a source file is an archive when its bytes, after the
// decompression its magic names, start with a valid tar header; it is then extracted into the
// destination directory instead of copied. Anything else (a text file called x.tar, an empty
// tar) is copied as it is.
//
// Node's zlib has gzip but neither bzip2 nor xz (nor zstd before Node 22.15): such a file is
// refused by name rather than copied compressed, which would build something else.
// The archive is streamed from disk, never held in memory.
import { createReadStream } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { applyLayer } from '../snapshot/index.js';
import { KilnError } from '../util/errors.js';
import { copyTree, directorySource, type CopyOwner } from './copy-tree.js';

const tarBlock = 512;

/** Compressions docker's DecompressStream recognises that kiln cannot read, by magic. */
const unreadable: readonly { name: string; magic: readonly number[] }[] = [
  { name: 'bzip2', magic: [0x42, 0x5a, 0x68] },
  { name: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { name: 'zstd', magic: [0x28, 0xb5, 0x2f, 0xfd] },
];
const gzipMagic = [0x1f, 0x8b, 0x08] as const;

function startsWith(head: Buffer, magic: readonly number[]): boolean {
  return head.length >= magic.length && magic.every((byte, at) => head[at] === byte);
}

/** Up to `size` first bytes of a stream, which is then closed. */
async function firstBytes(stream: Readable, size: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      if (length >= size) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, size);
}

/**
 * Go's archive/tar accepts a first block whose checksum (the header's bytes summed with the
 * checksum field read as spaces, unsigned or signed) matches the octal number stored in it.
 */
export function isTarHeader(block: Buffer): boolean {
  if (block.length < tarBlock || block.every((byte) => byte === 0)) return false;
  const field = block.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]+$/.test(field)) return false;
  const stored = parseInt(field, 8);
  let unsigned = 0;
  let signed = 0;
  for (let at = 0; at < tarBlock; at += 1) {
    const byte = at >= 148 && at < 156 ? 0x20 : (block[at] as number);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

/**
 * Whether `file` is a tar archive ADD extracts (plain or gzip); throws for a compression kiln
 * cannot read. `shownAs` names the file in errors (the source path the Dockerfile gave).
 */
export async function isArchive(file: string, shownAs: string): Promise<boolean> {
  const head = await firstBytes(createReadStream(file), tarBlock);
  const refused = unreadable.find((format) => startsWith(head, format.magic));
  if (refused !== undefined) {
    throw new KilnError('NOT_IMPLEMENTED', `ADD ${shownAs}: the file is ${refused.name}-compressed, which kiln cannot extract`, {
      hint: `recompress the archive with gzip, or COPY it and extract it in a RUN step`,
    });
  }
  if (!startsWith(head, gzipMagic)) return isTarHeader(head);
  const gunzip = createGunzip();
  const source = createReadStream(file);
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  try {
    return isTarHeader(await firstBytes(gunzip, tarBlock));
  } catch {
    // Not gzip after all (or truncated): docker then copies the file.
    return false;
  } finally {
    source.destroy();
  }
}

/**
 * Extracts the archive into the directory `dest` (created if missing). Entries keep the tar's
 * owners unless `owner` is given (ADD --chown applies to every extracted entry, as docker's
 * ChownOpts); then the archive goes through `staging` (a directory of the step's own) first.
 */
export async function unpackArchive(file: string, dest: string, owner: CopyOwner | undefined, staging: string, signal?: AbortSignal): Promise<void> {
  await mkdir(dest, { recursive: true });
  const target = owner === undefined ? dest : staging;
  if (owner !== undefined) await mkdir(staging, { recursive: true });
  await applyLayer(target, createReadStream(file), { whiteouts: 'apply', ...(signal === undefined ? {} : { signal }) });
  if (owner === undefined) return;
  const tree = directorySource(staging);
  for (const name of (await readdir(staging)).sort()) await copyTree(tree, name, join(dest, name), { owner });
}
