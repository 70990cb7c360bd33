// The process's one pool of worker threads for CPU-bound build work: hashing large context
// files, compressing layer chunks. One pool bounded by the cores, so hashing and compression
// queue behind each other instead of oversubscribing the CPU; started on first use, its
// threads let go when idle. Tasks are the named exports of worker.ts.
//
// The worker file is dist/workers/worker.js once compiled, or src/workers/worker.ts when kiln
// runs from source under tsx (worker threads inherit `--import tsx`). It is named through the
// folder, so that the bundled CLI (dist/bin/, at the same depth) finds the compiled one too.
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { Transferable } from 'node:worker_threads';
import { KilnError } from '../util/errors.js';

const workerExtension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
const workerFile = new URL(`../workers/worker.${workerExtension}`, import.meta.url);

// Idle threads go away after a while so a quiet daemon holds no worker threads.
const IDLE_TIMEOUT_MS = 30_000;

let pool: Piscina | undefined;
// Why the last pool failed: destroy() rejects its queued tasks with a bare "terminating" error.
let poolFailure: Error | undefined;

/** Threads the pool runs at most: what callers size their read-ahead by. */
export const workerThreads = availableParallelism();

/** Runs task `name` of worker.ts on a pool thread; `transfer` moves buffers instead of copying. */
export async function runOnWorker<T, R>(name: string, task: T, what: string, transfer?: Transferable[]): Promise<R> {
  pool ??= startPool();
  try {
    return await (pool.run(task, { name, ...(transfer === undefined ? {} : { transferList: transfer }) }) as Promise<R>);
  } catch (err) {
    const cause = poolFailure ?? err;
    throw new KilnError('INTERNAL', `${what} on a worker thread failed: ${(cause as Error).message}`, { cause });
  }
}

function startPool(): Piscina {
  poolFailure = undefined;
  const started = new Piscina({
    filename: workerFile.href,
    minThreads: 0,
    maxThreads: workerThreads,
    idleTimeout: IDLE_TIMEOUT_MS,
  });
  // A worker that cannot start (its file missing from a broken install) fails the whole pool:
  // piscina would otherwise leave the queued tasks waiting forever. destroy() rejects them,
  // and the next task starts a fresh pool.
  started.on('error', (err: Error) => {
    poolFailure = err;
    if (pool === started) pool = undefined;
    void started.destroy();
  });
  return started;
}

/** Stops the pool's threads (daemon shutdown, test teardown); the next task starts a new one. */
export async function closeWorkerPool(): Promise<void> {
  const closing = pool;
  pool = undefined;
  await closing?.destroy();
}
