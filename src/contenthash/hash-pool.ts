// Large files are hashed on the process's worker pool (src/workers) so a build context of big
// files never stalls the daemon's event loop.
import { closeWorkerPool, runOnWorker } from '../workers/index.js';
import type { FileHashResult, FileHashTask } from './file-hash.js';

export function hashFileOffThread(task: FileHashTask): Promise<FileHashResult> {
  return runOnWorker<FileHashTask, FileHashResult>('hashFile', task, `hashing ${task.path}`);
}

/** Stops the worker pool's threads (daemon shutdown, test teardown). */
export const closeHashPool = closeWorkerPool;
