// Large files are hashed on a piscina pool so a build context of big files never stalls the
// daemon's event loop. The pool is shared by every build context of the process, started on
// first use and bounded by the cores: hashing is CPU and I/O bound, more threads only queue.
//
// The worker file sits next to this module: hash-worker.js once compiled into dist/, or
// hash-worker.ts when kiln runs from source under tsx. Worker threads inherit the process's
// execArgv, so `--import tsx` loads the .ts worker there too.
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { KilnError } from '../util/errors.js';
import type { FileHashResult, FileHashTask } from './file-hash.js';

const workerExtension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
const workerFile = new URL(`./hash-worker.${workerExtension}`, import.meta.url);

// Idle threads go away after a while so a quiet daemon holds no hashing threads.
const IDLE_TIMEOUT_MS = 30_000;

let pool: Piscina<FileHashTask, FileHashResult> | undefined;
// Why the last pool failed: destroy() rejects its queued tasks with a bare "terminating" error.
let poolFailure: Error | undefined;

export async function hashFileOffThread(task: FileHashTask): Promise<FileHashResult> {
  pool ??= startPool();
  try {
    return await pool.run(task);
  } catch (err) {
    const cause = poolFailure ?? err;
    throw new KilnError('INTERNAL', `hashing ${task.path} on a worker thread failed: ${(cause as Error).message}`, { cause });
  }
}

function startPool(): Piscina<FileHashTask, FileHashResult> {
  poolFailure = undefined;
  const started = new Piscina<FileHashTask, FileHashResult>({
    filename: workerFile.href,
    minThreads: 0,
    maxThreads: availableParallelism(),
    idleTimeout: IDLE_TIMEOUT_MS,
  });
  // A worker that cannot start (its file missing from a broken install) fails the whole pool:
  // piscina would otherwise leave the queued tasks waiting forever. destroy() rejects them,
  // and the next hash starts a fresh pool.
  started.on('error', (err: Error) => {
    poolFailure = err;
    if (pool === started) pool = undefined;
    void started.destroy();
  });
  return started;
}

/** Stops the pool's threads (daemon shutdown, test teardown); the next hash starts a new one. */
export async function closeHashPool(): Promise<void> {
  const closing = pool;
  pool = undefined;
  await closing?.destroy();
}
