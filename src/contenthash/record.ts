// The records a context entry's content key is computed over. As BuildKit's cache/contenthash,
// a key covers what a copy of the entry preserves (type, permission bits with setuid/setgid/
// sticky, owner, size, symlink target, device numbers) and never what it does not (timestamps)
// nor the entry's own name: the name belongs to the directory holding it, so renaming a file
// inside a copied directory changes the directory's key, while renaming the copied source
// itself changes nothing (the COPY's op digest carries its source path).
import type { BigIntStats } from 'node:fs';
import { digestBytes, digestOf, newDigester, type Digest } from '../content/index.js';
import { KilnError } from '../util/errors.js';

export type EntryType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

export interface EntryHeader {
  type: EntryType;
  /** Permission bits including setuid, setgid and sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of a regular file; 0 for everything else. */
  size: number;
  /** A symlink's target as stored, unresolved; '' for everything else. */
  linkname: string;
  /** Device numbers of a character or block device; 0 for everything else. */
  devMajor: number;
  devMinor: number;
}

// Bumped whenever the record layout changes, so old persisted keys can never match new ones.
const RECORD_TAG = 'kiln.contenthash.v1';

const TYPE_BITS: ReadonlyArray<readonly [number, EntryType]> = [
  [0o100000, 'file'],
  [0o040000, 'dir'],
  [0o120000, 'symlink'],
  [0o020000, 'char'],
  [0o060000, 'block'],
  [0o010000, 'fifo'],
  [0o140000, 'socket'],
];

export function entryType(mode: number): EntryType {
  const bits = mode & 0o170000;
  const found = TYPE_BITS.find(([value]) => value === bits);
  // lstat only reports the seven types above; anything else is a kernel we do not know.
  if (found === undefined) throw new KilnError('INTERNAL', `unknown file type bits 0o${bits.toString(8)}`);
  return found[1];
}

/** The header of an entry from its lstat (bigint) and, for a symlink, its target. */
export function headerOf(stats: BigIntStats, linkname: string): EntryHeader {
  const type = entryType(Number(stats.mode));
  const device = type === 'char' || type === 'block';
  return {
    type,
    mode: Number(stats.mode) & 0o7777,
    uid: Number(stats.uid),
    gid: Number(stats.gid),
    size: type === 'file' ? Number(stats.size) : 0,
    linkname: type === 'symlink' ? linkname : '',
    devMajor: device ? deviceMajor(stats.rdev) : 0,
    devMinor: device ? deviceMinor(stats.rdev) : 0,
  };
}

// Linux's dev_t layout (glibc's gnu_dev_major/gnu_dev_minor): 12 bits of major and 20 of minor,
// split across the low and high words.
function deviceMajor(rdev: bigint): number {
  return Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
}

function deviceMinor(rdev: bigint): number {
  return Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
}

/** The header as bytes: NUL-terminated fields (a symlink target cannot contain NUL). */
export function encodeHeader(header: EntryHeader): Buffer {
  const fields = [
    RECORD_TAG, header.type, header.mode.toString(8), header.uid, header.gid, header.size,
    header.linkname, header.devMajor, header.devMinor,
  ];
  return Buffer.from(`${fields.join('\0')}\0`, 'utf8');
}

/** The key of an entry without bytes of its own: a symlink, device, fifo or socket. */
export function leafKey(header: EntryHeader): Digest {
  return digestBytes(encodeHeader(header));
}

export interface ChildKey {
  name: string;
  key: Digest;
}

/** A directory's key: its header, then each child's name and key in byte order of name. */
export function directoryKey(header: EntryHeader, children: readonly ChildKey[]): Digest {
  const hash = newDigester().update(encodeHeader(header));
  for (const child of sortByName(children)) hash.update(`${child.name}\0${child.key}\0`, 'utf8');
  return digestOf(hash);
}

/**
 * Keys of several selected entries in order. A `name` is included when it changes the result
 * of the copy (the paths a wildcard matched); literal sources are named by the op itself.
 */
export function combineKeys(parts: ReadonlyArray<{ name?: string; key: Digest }>): Digest {
  const hash = newDigester().update(`${RECORD_TAG}.selection\0`, 'utf8');
  for (const part of parts) hash.update(`${part.name ?? ''}\0${part.key}\0`, 'utf8');
  return digestOf(hash);
}

/** Sorts by the UTF-8 bytes of the name, as Go compares strings (not by UTF-16 code units). */
export function sortByName<T extends { name: string }>(items: readonly T[]): T[] {
  const keyed = items.map((item) => ({ item, bytes: Buffer.from(item.name, 'utf8') }));
  return keyed.sort((a, b) => Buffer.compare(a.bytes, b.bytes)).map(({ item }) => item);
}
