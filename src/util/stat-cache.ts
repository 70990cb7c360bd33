// What a long-lived process read from a file, kept with the file's identity (inode, size,
// mtime, ctime) at the time: a stat then tells whether the file may have changed since, for a
// fraction of a read and a parse. Files other processes replace (image name records, the host's
// resolv.conf, kept user databases) are read this way on every run.
//
// The stat comes before the read, so a file replaced in between is kept under the old identity
// and read again next time. A file changed within the last two seconds is not kept at all: the
// kernel stamps times with a coarse clock, and a same-size rewrite in the same tick reusing the
// freed inode would leave the identity as it was.
import { stat } from 'node:fs/promises';
import { LRUCache } from 'lru-cache';

const racyWindowNs = 2_000_000_000n;

export class StatCache<T> {
  private readonly known: LRUCache<string, { identity: string; value: T }>;

  constructor(capacity = 256) {
    this.known = new LRUCache({ max: capacity });
  }

  /**
   * What `load` gives for `path`, from memory while the file is unchanged; undefined, and
   * nothing kept, when the file does not exist or `load` gives undefined.
   */
  async read(path: string, load: (path: string) => Promise<T | undefined>): Promise<T | undefined> {
    const st = await stat(path, { bigint: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (st === undefined) {
      this.known.delete(path);
      return undefined;
    }
    const identity = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    const known = this.known.get(path);
    if (known?.identity === identity) return known.value;
    const value = await load(path);
    const settled = BigInt(Date.now()) * 1_000_000n - st.mtimeNs > racyWindowNs;
    if (value !== undefined && settled) this.known.set(path, { identity, value });
    else this.known.delete(path);
    return value;
  }

  /** Forgets `path`: its writer in this process is about to change it. */
  forget(path: string): void {
    this.known.delete(path);
  }
}
