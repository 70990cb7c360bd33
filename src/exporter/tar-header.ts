// ustar headers and PAX extended headers (POSIX.1-2001 pax format), encoded here rather than by
// tar-stream's pack: its PAX encoder takes strings, so a binary attribute value (an ACL, a file
// capability) would be re-encoded as UTF-8, and it replaces a mode of 0 with 0644/0755. A
// layer must carry both exactly. Whatever a ustar field cannot hold (a long or non-ASCII path
// or link target, a large id or size) goes into the entry's PAX records as well.

const blockSize = 512;

export type EntryType = 'file' | 'link' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'fifo';

const typeflags: Record<EntryType | 'pax', string> = {
  file: '0', link: '1', symlink: '2', 'character-device': '3', 'block-device': '4', directory: '5', fifo: '6', pax: 'x',
};

export interface TarHeader {
  name: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Whole seconds since the epoch. */
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes, written as `SCHILY.xattr.<name>` records, values as raw bytes. */
  xattrs?: Array<[string, Buffer]>;
}

function fitsField(text: string, length: number): boolean {
  return Buffer.byteLength(text) === text.length && text.length <= length && !text.includes('\0');
}

/** The largest value `digits` octal digits hold. */
function octalLimit(digits: number): number {
  return 8 ** digits - 1;
}

/**
 * A numeric field: octal when it fits, else GNU base-256 (a 0x80 byte, then the value
 * big-endian), which tar-stream and GNU tar read where they ignore the PAX record that
 * carries the same value for POSIX readers.
 */
function writeNumber(block: Buffer, value: number, offset: number, length: number): void {
  if (value <= octalLimit(length - 1)) {
    block.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'latin1');
    return;
  }
  block[offset] = 0x80;
  let rest = BigInt(value);
  for (let at = offset + length - 1; at > offset; at -= 1) {
    block[at] = Number(rest & 0xffn);
    rest >>= 8n;
  }
}

/** One `<length> <key>=<value>\n` record; the length counts its own digits. */
function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return Buffer.concat([Buffer.from(String(length)), body]);
}

function ustarBlock(fields: Omit<TarHeader, 'type' | 'xattrs'> & { typeflag: string }): Buffer {
  const block = Buffer.alloc(blockSize);
  block.write(fields.name, 0, 100, 'latin1');
  writeNumber(block, fields.mode, 100, 8);
  writeNumber(block, fields.uid, 108, 8);
  writeNumber(block, fields.gid, 116, 8);
  writeNumber(block, fields.size, 124, 12);
  writeNumber(block, fields.mtime, 136, 12);
  block.write(fields.typeflag, 156, 1, 'latin1');
  block.write(fields.linkname ?? '', 157, 100, 'latin1');
  block.write('ustar\0' + '00', 257, 8, 'latin1');
  writeNumber(block, fields.devmajor ?? 0, 329, 8);
  writeNumber(block, fields.devminor ?? 0, 337, 8);
  // The checksum is taken with its own field read as eight spaces.
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return block;
}

function paddingOf(size: number): number {
  return (blockSize - (size % blockSize)) % blockSize;
}

/** The PAX records the ustar fields of `header` need, or an empty list. */
function paxRecords(header: TarHeader): Buffer[] {
  const records: Buffer[] = [];
  if (!fitsField(header.name, 100)) records.push(paxRecord('path', Buffer.from(header.name)));
  if (header.linkname !== undefined && !fitsField(header.linkname, 100)) records.push(paxRecord('linkpath', Buffer.from(header.linkname)));
  for (const key of ['uid', 'gid'] as const) {
    if (header[key] > octalLimit(7)) records.push(paxRecord(key, Buffer.from(String(header[key]))));
  }
  if (header.size > octalLimit(11)) records.push(paxRecord('size', Buffer.from(String(header.size))));
  for (const [name, value] of header.xattrs ?? []) records.push(paxRecord(`SCHILY.xattr.${name}`, value));
  return records;
}

/** The header blocks of one entry: a PAX header with its records when needed, then the ustar header. */
export function encodeHeader(header: TarHeader): Buffer {
  const mtime = Math.max(0, Math.min(header.mtime, octalLimit(11)));
  const records = paxRecords(header);
  const ustar = ustarBlock({
    name: fitsField(header.name, 100) ? header.name : header.name.replace(/[^\x20-\x7e]/g, '_').slice(-100),
    mode: header.mode & 0o7777,
    uid: header.uid,
    gid: header.gid,
    size: header.size,
    mtime,
    typeflag: typeflags[header.type],
    ...(header.linkname === undefined ? {} : { linkname: fitsField(header.linkname, 100) ? header.linkname : '' }),
    ...(header.devmajor === undefined ? {} : { devmajor: header.devmajor }),
    ...(header.devminor === undefined ? {} : { devminor: header.devminor }),
  });
  if (records.length === 0) return ustar;
  const pax = Buffer.concat(records);
  const paxHeader = ustarBlock({ name: 'PaxHeaders/entry', mode: 0o644, uid: 0, gid: 0, size: pax.length, mtime, typeflag: typeflags.pax });
  return Buffer.concat([paxHeader, pax, Buffer.alloc(paddingOf(pax.length)), ustar]);
}

/** Zeros that fill an entry's content of `size` bytes up to a whole block. */
export function contentPadding(size: number): Buffer {
  return Buffer.alloc(paddingOf(size));
}

/** The end of an archive: two zero blocks. */
export const endOfArchive = Buffer.alloc(2 * blockSize);
