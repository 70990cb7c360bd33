// The snapshot store's change counter, so that a long-lived process (the daemon) can keep the
// snapshot records in memory and still see what other processes (`kiln rm`, `kiln run -d`, a
// build) did to the same root.
//
// Every change of the records (a snapshot made, committed or removed) appends one byte to
// `<root>/metadata/snapshots.changes` once it is done: the file's size counts the changes ever
// made, and (inode, size) is the store's version. A reader notes the version *before* it reads
// the records, so a change it may have missed is always one whose byte comes after the noted
// size: the next check sees a larger file and reads again. The directory's own mtime cannot do
// this: the kernel stamps it with a coarse clock (one tick is several ms), so two changes in one
// tick leave it equal, and a listing made between them would pass for current.
//
// O_APPEND writes of one byte cannot interleave, so no lock is needed. The file grows by two
// bytes per container (prepare and remove): a million runs make 2 MB, and it is never rotated,
// since a writer still appending to a rotated-away inode would be a change nobody sees.
//
// Both calls are made synchronously: a stat and a one-byte append take microseconds, and each
// snapshot made or removed for a container start would otherwise wait out thread-pool round trips.
import { appendFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface ChangeVersion {
  ino: number;
  size: number;
}

export function sameVersion(a: ChangeVersion, b: ChangeVersion): boolean {
  return a.ino === b.ino && a.size === b.size;
}

export class SnapshotChanges {
  readonly path: string;

  constructor(root: string) {
    this.path = join(root, 'metadata', 'snapshots.changes');
  }

  /** The current version; before any change was counted, inode 0 and size 0. */
  async version(): Promise<ChangeVersion> {
    try {
      const { ino, size } = statSync(this.path);
      return { ino, size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ino: 0, size: 0 };
      throw err;
    }
  }

  /** Counts one change, after it has been made. */
  async count(): Promise<void> {
    try {
      appendFileSync(this.path, '.');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      mkdirSync(dirname(this.path), { recursive: true });
      appendFileSync(this.path, '.');
    }
  }
}
