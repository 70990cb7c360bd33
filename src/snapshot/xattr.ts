// Setting a layer's extended attributes, where the filesystem allows them (as containerd and
// BuildKit do: file capabilities, user.* attributes, POSIX ACLs).
//
// Node has no setxattr(2), and kiln takes no native dependency, so the attributes of a whole
// layer are collected while it is applied and handed to ONE `setfattr -h --restore=-` (Debian
// package `attr`) once its last entry is written. `-h` makes setfattr call lsetxattr(2) on
// the last path component: a symlink gets the attribute itself, its target is never touched.
// The components above it are re-resolved here first with safe-path's rules and must still be
// the plain directories they were when the entry was written, so no symlink that a later entry
// planted can redirect an attribute, let alone outside the target.
//
// An attribute the filesystem refuses — EOPNOTSUPP, or EPERM where privilege or file type is
// the reason (trusted.* and security.* need capabilities; user.* exists only on regular files
// and directories) — is skipped and counted, never fatal. Without setfattr every attribute is
// reported skipped. Any other failure is an error naming the entry.
import { spawn } from 'node:child_process';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KilnError } from '../util/errors.js';
import type { Xattr } from './pax-xattr.js';
import { resolveInRoot } from './safe-path.js';

/** How many refusal messages a result carries; the count covers them all. */
const maxWarnings = 5;

/** getfattr's quoting of names and paths: `\ooo` octal escapes for bytes it will not print. */
export function unquoteGetfattr(text: string): string {
  if (!text.includes('\\')) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i += 1) {
    const escape = /^\\([0-7]{3})/.exec(text.slice(i, i + 4));
    if (escape?.[1] !== undefined) {
      bytes.push(parseInt(escape[1], 8));
      i += 3;
    } else bytes.push(...Buffer.from(text[i] ?? '', 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

export interface XattrReport {
  applied: number;
  skipped: number;
  warnings: string[];
}

interface Pending {
  entry: string;
  components: string[];
  xattrs: Map<string, Buffer>;
}

/** The attributes of this layer's entries, keyed by root-relative path, until they are set. */
export class LayerXattrs {
  private readonly pending = new Map<string, Pending>();

  /** Adds an entry's attributes; a directory listed again keeps the earlier ones too. */
  record(components: string[], entry: string, xattrs: Xattr[]): void {
    if (xattrs.length === 0) return;
    const key = components.join('/');
    const known = this.pending.get(key) ?? { entry, components, xattrs: new Map<string, Buffer>() };
    for (const { name, value } of xattrs) known.xattrs.set(name, value);
    this.pending.set(key, known);
  }

  /** Drops what was recorded for a path that is being removed, and below it for a tree. */
  forget(components: string[], tree: boolean): void {
    if (this.pending.size === 0) return;
    const key = components.join('/');
    this.pending.delete(key);
    if (!tree) return;
    for (const other of this.pending.keys()) if (other.startsWith(`${key}/`)) this.pending.delete(other);
  }

  entries(): IterableIterator<Pending> {
    return this.pending.values();
  }
}

type Kind = 'file' | 'directory' | 'other';

/** One attribute of one path, as one block of the getfattr-format dump. */
interface Block {
  /** The path as written in the dump; unique per block, so setfattr's error names the block. */
  spelling: string;
  entry: string;
  kind: Kind;
  name: string;
  value: Buffer;
}

/** getfattr's quoting, read back by setfattr's unquote: `\ooo` for every byte that needs it. */
function quote(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const plain = byte > 0x20 && byte < 0x7f && byte !== 0x5c && byte !== 0x3d;
    out += plain ? String.fromCharCode(byte) : `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return out;
}

/** How setfattr prints a path in an error: only backslash, CR and LF escaped. */
function asPrinted(spelling: string): string {
  return spelling.replace(/[\\\n\r]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

async function kindOf(root: string, pending: Pending): Promise<Kind> {
  const changed = new KilnError('INVALID_ARGUMENT',
    `extended attributes of layer entry "${pending.entry}" were not applied: a later entry replaced its path`, {
      hint: 'the layer tar is malformed or malicious; it was not applied completely',
    });
  const parent = pending.components.slice(0, -1);
  const resolved = await resolveInRoot(root, parent, pending.entry);
  if (resolved.length !== parent.length || resolved.some((part, i) => part !== parent[i])) throw changed;
  const stats = await lstat(join(root, ...pending.components)).catch(() => undefined);
  if (stats === undefined) throw changed;
  return stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : 'other';
}

async function blocksOf(root: string, layer: LayerXattrs): Promise<Block[]> {
  const blocks: Block[] = [];
  for (const pending of layer.entries()) {
    const kind = await kindOf(root, pending);
    let prefix = './';
    for (const [name, value] of pending.xattrs) {
      blocks.push({ spelling: prefix + pending.components.join('/'), entry: pending.entry, kind, name, value });
      prefix += './';
    }
  }
  return blocks;
}

async function* dump(blocks: Block[]): AsyncGenerator<string> {
  for (const { spelling, name, value } of blocks) {
    yield `# file: ${quote(spelling)}\n${quote(name)}=0s${value.toString('base64')}\n\n`;
  }
}

function refusedByFilesystem(reason: string, block: Block): boolean {
  if (reason === 'Operation not supported') return true;
  if (reason !== 'Operation not permitted') return false;
  if (block.name.startsWith('trusted.') || block.name.startsWith('security.')) return true;
  return block.name.startsWith('user.') && block.kind === 'other';
}

function missingSetfattr(blocks: Block[]): XattrReport {
  return {
    applied: 0,
    skipped: blocks.length,
    warnings: [`setfattr is not installed (Debian package attr): ${blocks.length} extended attributes of this layer were not applied`],
  };
}

/** Sets every recorded attribute with one setfattr process; resolves once it has exited. */
export async function applyXattrs(root: string, layer: LayerXattrs): Promise<XattrReport> {
  const blocks = await blocksOf(root, layer);
  const report: XattrReport = { applied: blocks.length, skipped: 0, warnings: [] };
  if (blocks.length === 0) return report;
  const bySpelling = new Map(blocks.map((block) => [asPrinted(block.spelling), block]));
  const child = spawn('setfattr', ['-h', '--restore=-'], {
    cwd: root,
    env: { ...process.env, LC_ALL: 'C', LANGUAGE: '' },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null | Error>((resolve) => {
    child.on('error', resolve);
    child.on('close', (code) => resolve(code));
  });
  const feeding = pipeline(Readable.from(dump(blocks)), child.stdin).then(() => undefined, (err: unknown) => err);
  let failure: KilnError | undefined;
  for await (const line of createInterface({ input: child.stderr })) {
    const rest = line.startsWith('setfattr: ') ? line.slice('setfattr: '.length) : '';
    const cut = rest.lastIndexOf(': ');
    const block = cut < 0 ? undefined : bySpelling.get(rest.slice(0, cut));
    const reason = rest.slice(cut + 2);
    if (block !== undefined && refusedByFilesystem(reason, block)) {
      report.skipped += 1;
      if (report.warnings.length < maxWarnings) report.warnings.push(`${block.entry}: ${block.name}: ${reason}`);
    } else {
      failure ??= new KilnError('INTERNAL', block === undefined
        ? `setting extended attributes failed: ${line}`
        : `setting extended attribute ${block.name} on layer entry "${block.entry}" failed: ${reason}`);
    }
  }
  const code = await exited;
  const fed = await feeding;
  if (code instanceof Error) {
    if ((code as NodeJS.ErrnoException).code === 'ENOENT') return missingSetfattr(blocks);
    throw new KilnError('INTERNAL', `running setfattr failed: ${code.message}`, { cause: code });
  }
  if (failure !== undefined) throw failure;
  if (code !== 0 && report.skipped === 0) throw new KilnError('INTERNAL', `setfattr exited with status ${code}`);
  if (fed !== undefined) throw new KilnError('INTERNAL', 'writing to setfattr failed', { cause: fed });
  report.applied -= report.skipped;
  return report;
}
