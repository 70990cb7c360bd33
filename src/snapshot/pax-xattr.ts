// Extended attributes carried by a layer tar in its PAX records, read as raw bytes.
//
// Two spellings exist: `SCHILY.xattr.<name>=<raw value>` (GNU tar, Go's archive/tar, so
// containerd and BuildKit) and `LIBARCHIVE.xattr.<url-encoded name>=<base64 value>` (bsdtar).
//
// tar-stream 3 decodes every PAX value as UTF-8 into `header.pax`, which is lossy: a value
// such as a POSIX ACL holds bytes above 0x7f, and each of them comes back as U+FFFD. So the
// raw record block is captured before tar-stream decodes it, through the two methods of its
// Extract that see it (`_decodeLongHeader`, then `_applyLongHeaders` when the entry's header
// is complete). Those are internals of the pinned tar-stream 3.2.2; if they ever change, the
// lookup below throws rather than silently applying corrupted values.
import type { Extract, Header } from 'tar-stream';
import { KilnError } from '../util/errors.js';

export interface Xattr {
  name: string;
  value: Buffer;
}

const schilyPrefix = 'SCHILY.xattr.';
const libarchivePrefix = 'LIBARCHIVE.xattr.';

interface ExtractInternals {
  _header: Header | null;
  _decodeLongHeader(buf: Buffer): void;
  _applyLongHeaders(): void;
}

function malformed(at: number): Error {
  return new Error(`malformed PAX record at byte ${at} of an extended header`);
}

/** Splits a PAX extended header into its `<length> <key>=<value>\n` records, values as bytes. */
export function parsePaxRecords(block: Buffer): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let at = 0;
  // A block padded with NULs ends at the first one, as tar-stream and GNU tar read it.
  while (at < block.length && block[at] !== 0) {
    const space = block.indexOf(0x20, at);
    const digits = space < 0 ? '' : block.toString('latin1', at, space);
    const length = Number(digits);
    const end = at + length;
    if (!/^[0-9]{1,10}$/.test(digits) || end <= space + 1 || end > block.length || block[end - 1] !== 0x0a) {
      throw malformed(at);
    }
    const record = block.subarray(space + 1, end - 1);
    const equals = record.indexOf(0x3d);
    if (equals <= 0) throw malformed(at);
    // Copied: the block is a view into tar-stream's buffer, which it reuses.
    records.set(record.toString('utf8', 0, equals), Buffer.from(record.subarray(equals + 1)));
    at = end;
  }
  return records;
}

/** libarchive percent-encodes the attribute name; decoded as bytes, then read as UTF-8. */
function percentDecode(encoded: string): string {
  const bytes: number[] = [];
  const raw = Buffer.from(encoded, 'utf8');
  for (let i = 0; i < raw.length; i += 1) {
    const hex = raw[i] === 0x25 ? raw.toString('latin1', i + 1, i + 3) : '';
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(raw[i] ?? 0);
  }
  return Buffer.from(bytes).toString('utf8');
}

function base64Value(key: string, value: Buffer): Buffer {
  const text = value.toString('latin1').trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new Error(`PAX record ${key} is not base64`);
  return Buffer.from(text, 'base64');
}

/** The extended attributes among PAX records; a name libarchive also wrote as SCHILY is kept once. */
export function xattrsFromPax(records: Map<string, Buffer>): Xattr[] {
  const byName = new Map<string, Buffer>();
  for (const [key, value] of records) {
    let name: string;
    let bytes: Buffer;
    if (key.startsWith(schilyPrefix)) {
      name = key.slice(schilyPrefix.length);
      bytes = value;
    } else if (key.startsWith(libarchivePrefix)) {
      name = percentDecode(key.slice(libarchivePrefix.length));
      bytes = base64Value(key, value);
    } else continue;
    // setxattr(2) takes a NUL-terminated name: one with a NUL would set a different attribute.
    if (name === '' || name.includes('\0')) throw new Error(`PAX record ${JSON.stringify(key)} names no valid attribute`);
    byName.set(name, bytes);
  }
  return [...byName].map(([name, value]) => ({ name, value }));
}

function mentionsXattrs(pax: unknown): boolean {
  if (typeof pax !== 'object' || pax === null) return false;
  return Object.keys(pax).some((key) => key.startsWith(schilyPrefix) || key.startsWith(libarchivePrefix));
}

/**
 * Hooks `parser` so that each entry's extended attributes are read from the raw PAX bytes;
 * returns the lookup by entry header. Install it before the parser sees any data. A malformed
 * record fails the parse, which the apply reports as a corrupt tar.
 */
export function captureXattrs(parser: Extract): (header: Header) => Xattr[] {
  const internals = parser as unknown as ExtractInternals;
  const decodeLongHeader = internals._decodeLongHeader;
  const applyLongHeaders = internals._applyLongHeaders;
  if (typeof decodeLongHeader !== 'function' || typeof applyLongHeaders !== 'function') {
    throw new KilnError('INTERNAL', 'the installed tar-stream lacks the hooks kiln reads raw PAX records through');
  }
  const byHeader = new WeakMap<Header, Xattr[]>();
  let global = new Map<string, Buffer>();
  let globalXattrs: Xattr[] = [];
  let local: Xattr[] | undefined;
  // Records are decoded here, inside tar-stream's own try/catch, so a bad one fails the parse.
  internals._decodeLongHeader = function (this: ExtractInternals, buf: Buffer): void {
    const type = this._header?.type as string | undefined;
    if (type === 'pax-global-header') {
      global = parsePaxRecords(buf);
      globalXattrs = xattrsFromPax(global);
    }
    // tar-stream lays the global records under each entry's own ones; so does this.
    if (type === 'pax-header') local = xattrsFromPax(new Map([...global, ...parsePaxRecords(buf)]));
    decodeLongHeader.call(this, buf);
  };
  internals._applyLongHeaders = function (this: ExtractInternals): void {
    applyLongHeaders.call(this);
    const xattrs = local ?? globalXattrs;
    local = undefined;
    if (this._header !== null && xattrs.length > 0) byHeader.set(this._header, xattrs);
  };
  return (header) => {
    const xattrs = byHeader.get(header);
    if (xattrs === undefined && mentionsXattrs(header.pax)) {
      throw new KilnError('INTERNAL', `layer entry "${header.name}" has extended attributes kiln could not read as raw bytes`, {
        hint: 'the installed tar-stream differs from the version kiln was built against',
      });
    }
    return xattrs ?? [];
  };
}
