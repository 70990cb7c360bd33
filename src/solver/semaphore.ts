// A counting semaphore: at most `limit` holders at once, waiters served in arrival order. The
// solver takes a slot for each op it runs (`--jobs N`); key computation and cache lookups
// need none.
import { KilnError } from '../util/errors.js';

export class Semaphore {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new KilnError('INVALID_ARGUMENT', `parallelism must be a positive integer, got ${limit}`);
  }

  /** Runs `work` in a slot; an abort while waiting for the slot rejects without running it. */
  async run<T>(work: () => Promise<T>, signal: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private acquire(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.held < this.limit) {
      this.held++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort);
        this.held++;
        resolve();
      };
      const onAbort = (): void => {
        const at = this.waiting.indexOf(grant);
        if (at !== -1) this.waiting.splice(at, 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(grant);
    });
  }

  private release(): void {
    this.held--;
    this.waiting.shift()?.();
  }
}
