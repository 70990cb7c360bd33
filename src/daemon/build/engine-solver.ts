// The engine's one solver: builds in one process share its graph, so the same step in two
// concurrent builds runs once, and its cache is the store's.
import { cpus } from 'node:os';
import { snapshotCodec, type SnapshotRef } from '../../ops/index.js';
import { RecordCacheManager, Solver } from '../../solver/index.js';
import { engineSnapshotter, type ImageEngine } from '../images/engine.js';

const solvers = new WeakMap<ImageEngine, Solver<SnapshotRef>>();

/**
 * Steps of one engine that run at once by default. A step mostly waits (on a RUN's process, a
 * registry, the disk) while the CPU-heavy parts (hashing, compression) queue for the worker
 * pool, which is sized by the cores; so the slots are many, as BuildKit's are unlimited, and
 * a wide DAG of sleeping or I/O-bound RUNs runs all at once.
 */
export const defaultJobs = Math.max(16, 4 * cpus().length);

/**
 * The engine's one solver, made on first use: builds in one process share its graph, so the
 * same step in two concurrent builds runs once.
 */
export function engineSolver(engine: ImageEngine): Solver<SnapshotRef> {
  let solver = solvers.get(engine);
  if (solver === undefined) {
    solver = new Solver(new RecordCacheManager(engine.root, snapshotCodec(engineSnapshotter(engine))), { jobs: defaultJobs });
    solvers.set(engine, solver);
  }
  return solver;
}
