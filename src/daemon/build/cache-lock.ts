// Who may touch the build cache at once. Builds share it: each one holds a shared lease from
// before its first cache lookup until its image is exported, because in between it relies on
// what it found (a record's snapshot becomes the parent of its next step, a step's kept layer
// blob goes into the manifest) and on the cache-mount directories its RUNs mount. A prune
// holds it alone, so it never deletes anything a build has seen and not yet finished with.
//
// The lock is in memory: one daemon owns a store root (ownership.ts), and every build and
// prune of that root runs in it. Waiters are served in arrival order, so a prune queued behind
// running builds is not starved by builds that come after it; those wait for the prune, which
// is short next to a build.

type Waiter = { exclusive: boolean; grant: () => void };

export class SharedExclusiveLock {
  private holders = 0;
  private exclusiveHeld = false;
  private readonly queue: Waiter[] = [];

  /** Resolves with the release once no exclusive holder is ahead. */
  shared(): Promise<() => void> {
    return this.enqueue(false);
  }

  /** Resolves with the release once nobody else holds the lock. */
  exclusive(): Promise<() => void> {
    return this.enqueue(true);
  }

  private enqueue(exclusive: boolean): Promise<() => void> {
    return new Promise((resolve) => {
      this.queue.push({ exclusive, grant: () => resolve(this.releaser(exclusive)) });
      this.pump();
    });
  }

  private releaser(exclusive: boolean): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (exclusive) this.exclusiveHeld = false;
      else this.holders -= 1;
      this.pump();
    };
  }

  private pump(): void {
    for (let head = this.queue[0]; head !== undefined && !this.exclusiveHeld; head = this.queue[0]) {
      if (head.exclusive && this.holders > 0) return;
      this.queue.shift();
      if (head.exclusive) this.exclusiveHeld = true;
      else this.holders += 1;
      head.grant();
    }
  }
}

const locks = new WeakMap<object, SharedExclusiveLock>();

/** The build cache lock of an engine (any object standing for one store root). */
export function buildCacheLock(engine: object): SharedExclusiveLock {
  let lock = locks.get(engine);
  if (lock === undefined) {
    lock = new SharedExclusiveLock();
    locks.set(engine, lock);
  }
  return lock;
}
