// The worker pool for CPU-bound build work (hashing, compression).
export { closeWorkerPool, runOnWorker, workerThreads } from './pool.js';
