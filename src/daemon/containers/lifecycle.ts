// `kill` and `stop` on a container, whoever supervises it (the daemon, or an in-process `kiln
// run`): signals go to the container's process through `runc kill`, and the end is read from
// the record, which the supervisor writes once runc reports the exit.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { KilnError } from '../../util/errors.js';
import type { ImageEngine } from '../images/engine.js';
import { reconcile, runcRootOf } from './reconcile.js';
import type { ContainerRecord } from './record.js';
import { ContainerStore } from './store.js';
import { notRunning, waitForRunEnd } from './supervisor.js';

/** docker stop's default grace period. */
export const defaultStopSeconds = 10;

async function current(engine: ImageEngine, store: ContainerStore, text: string): Promise<ContainerRecord> {
  return reconcile(store, engine.root, await store.find(text));
}

async function signalContainer(engine: ImageEngine, id: string, signal: string): Promise<void> {
  try {
    await promisify(execFile)('runc', ['--root', runcRootOf(engine.root), 'kill', id, signal], { timeout: 30_000 });
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? err).trim();
    throw new KilnError('FAILED_PRECONDITION', `cannot kill container: ${id}: ${stderr}`);
  }
}

function reader(engine: ImageEngine, store: ContainerStore, id: string): () => Promise<ContainerRecord | undefined> {
  return async () => {
    const record = await store.get(id);
    return record === undefined ? undefined : reconcile(store, engine.root, record);
  };
}

export async function killContainer(engine: ImageEngine, text: string, signal = 'SIGKILL'): Promise<ContainerRecord> {
  const store = new ContainerStore(engine.root);
  const record = await current(engine, store, text);
  if (record.state.status !== 'running') throw notRunning(record, 'kill');
  await signalContainer(engine, record.id, signal);
  return record;
}

/**
 * The container's stop signal (SIGTERM unless --stop-signal or the image's STOPSIGNAL said
 * otherwise), then SIGKILL when it still runs after `seconds` (-t, else its --stop-timeout,
 * else 10); resolves once the supervisor has recorded the end. Stopping a container that does
 * not run is no error.
 */
export async function stopContainer(engine: ImageEngine, text: string, timeoutSeconds?: number): Promise<ContainerRecord> {
  const store = new ContainerStore(engine.root);
  const record = await current(engine, store, text);
  if (record.state.status !== 'running') return record;
  const read = reader(engine, store, record.id);
  const seconds = timeoutSeconds ?? record.config.stopTimeout ?? defaultStopSeconds;
  await signalContainer(engine, record.id, record.config.stopSignal ?? 'SIGTERM').catch(() => undefined);
  const graceful = await waitForRunEnd(read, record, seconds * 1000);
  if (graceful.ended) return graceful.record;
  await signalContainer(engine, record.id, 'SIGKILL').catch(() => undefined);
  return (await waitForRunEnd(read, graceful.record)).record;
}
