// Small files are hashed on the calling thread: a worker round trip, or even the thread pool's
// open/read/close round trips, cost more than reading a few pages and hashing them. To keep the
// event loop responsive while thousands of them queue up, they are hashed in batches, one
// batch per turn of the loop, each bounded in files and bytes (about a millisecond of work).
import { KilnError } from '../util/errors.js';
import { hashFileContentsSync, type FileHashResult, type FileHashTask } from './file-hash.js';

const BATCH_FILES = 64;
const BATCH_BYTES = 1 << 20;

interface Job {
  task: FileHashTask;
  resolve: (result: FileHashResult) => void;
  reject: (err: unknown) => void;
}

export class InlineHasher {
  readonly #queue: Job[] = [];
  #scheduled = false;

  hash(task: FileHashTask): Promise<FileHashResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ task, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#queue.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => this.#drain());
  }

  #drain(): void {
    this.#scheduled = false;
    let files = 0;
    let bytes = 0;
    while (files < BATCH_FILES && bytes < BATCH_BYTES) {
      const job = this.#queue.shift();
      if (job === undefined) break;
      files++;
      bytes += job.task.size;
      try {
        job.resolve(hashFileContentsSync(job.task));
      } catch (err) {
        job.reject(new KilnError('INTERNAL', `cannot read ${job.task.path}: ${(err as Error).message}`, { cause: err }));
      }
    }
    this.#schedule();
  }
}
