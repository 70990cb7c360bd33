// The persistent stat cache of one build context: for each file, the identity it had when it
// was hashed (size, mtime, ctime, inode, device, mode, owner) and the key computed then. A file
// whose identity is unchanged is never read again, across builds and daemon restarts. ctime is
// part of the identity because tools can restore an mtime after changing content, but nothing
// but the kernel sets ctime.
//
// Stored at <root>/cache/contenthash/<sha256 of the context's absolute path>.json, replaced
// atomically. The file is only a cache: a torn, foreign or outdated one is ignored and rebuilt.
import type { BigIntStats } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { digestBytes, digestHex, isDigest, type Digest } from '../content/index.js';
import { writeFileAtomic } from '../util/atomic-file.js';

const FORMAT_VERSION = 1;

// The kernel stamps times from a coarse clock (one tick, up to 10 ms). A file rewritten within
// the tick after we stat'ed it can keep its identity, so a file changed that recently is kept in
// memory only and hashed again by the next build (git's "racy clean" rule).
const RACY_WINDOW_NS = 50_000_000n;

interface StoredCache {
  version: number;
  context: string;
  /** path -> [identity, key hex] */
  entries: Record<string, [string, string]>;
}

/** The identity a file's key stays valid for. */
export function fileIdentity(stats: BigIntStats): string {
  const { size, mtimeNs, ctimeNs, ino, dev, mode, uid, gid } = stats;
  return [size, mtimeNs, ctimeNs, ino, dev, mode, uid, gid].join(':');
}

/** True when the file changed too recently (relative to `now`) for its identity to be trusted later. */
export function isRacy(stats: BigIntStats, nowNs: bigint): boolean {
  const changed = stats.mtimeNs > stats.ctimeNs ? stats.mtimeNs : stats.ctimeNs;
  return nowNs - changed < RACY_WINDOW_NS;
}

export class ContentKeyCache {
  readonly #file: string;
  readonly #context: string;
  readonly #entries: Map<string, { identity: string; key: Digest }>;
  #dirty = false;

  private constructor(file: string, context: string, entries: Map<string, { identity: string; key: Digest }>) {
    this.#file = file;
    this.#context = context;
    this.#entries = entries;
  }

  /** The cache of the context at absolute path `contextDir` under the daemon root `root`. */
  static async open(root: string, contextDir: string): Promise<ContentKeyCache> {
    const name = `${digestHex(digestBytes(contextDir))}.json`;
    const file = join(root, 'cache', 'contenthash', name);
    return new ContentKeyCache(file, contextDir, parseStored(await readIfPresent(file), contextDir));
  }

  /** True when entries changed since the cache was read or last saved. */
  get dirty(): boolean {
    return this.#dirty;
  }

  get file(): string {
    return this.#file;
  }

  /** The key recorded for `path`, if its identity is still `identity`. */
  lookup(path: string, identity: string): Digest | undefined {
    const entry = this.#entries.get(path);
    return entry?.identity === identity ? entry.key : undefined;
  }

  record(path: string, identity: string, key: Digest): void {
    const entry = this.#entries.get(path);
    if (entry?.identity === identity && entry.key === key) return;
    this.#entries.set(path, { identity, key });
    this.#dirty = true;
  }

  /** Drops every entry whose path is not in `present`: files deleted or now ignored. */
  retain(present: ReadonlySet<string>): void {
    for (const path of this.#entries.keys()) {
      if (present.has(path)) continue;
      this.#entries.delete(path);
      this.#dirty = true;
    }
  }

  /** Drops the entries of `paths`, files that left the context. */
  forget(paths: Iterable<string>): void {
    for (const path of paths) this.#dirty = this.#entries.delete(path) || this.#dirty;
  }

  /** Writes the cache if anything changed since it was read or last saved. */
  async save(): Promise<void> {
    if (!this.#dirty) return;
    this.#dirty = false;
    const stored: StoredCache = { version: FORMAT_VERSION, context: this.#context, entries: {} };
    for (const [path, { identity, key }] of this.#entries) stored.entries[path] = [identity, digestHex(key)];
    await mkdir(dirname(this.#file), { recursive: true });
    // Losing the newest cache to a power cut costs a re-hash, not correctness: no fsync.
    await writeFileAtomic(this.#file, JSON.stringify(stored), { durable: false });
  }
}

async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function parseStored(text: string | undefined, context: string): Map<string, { identity: string; key: Digest }> {
  const entries = new Map<string, { identity: string; key: Digest }>();
  if (text === undefined) return entries;
  let stored: unknown;
  try {
    stored = JSON.parse(text);
  } catch {
    return entries;
  }
  if (!isStoredCache(stored) || stored.version !== FORMAT_VERSION || stored.context !== context) return entries;
  for (const [path, value] of Object.entries(stored.entries)) {
    const key = `sha256:${String(value[1])}`;
    if (typeof value[0] === 'string' && isDigest(key)) entries.set(path, { identity: value[0], key });
  }
  return entries;
}

function isStoredCache(value: unknown): value is StoredCache {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Partial<StoredCache>;
  return typeof record.context === 'string' && typeof record.entries === 'object' && record.entries !== null
    && Object.values(record.entries).every(Array.isArray);
}
