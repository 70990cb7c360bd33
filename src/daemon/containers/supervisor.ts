// Whether a container's supervisor still lives, and waiting for a container's run to end.
// A supervisor that ended may linger as a zombie until its parent reaps it:
// util/process-alive.ts counts those as gone.
import { setTimeout as delay } from 'node:timers/promises';
import { KilnError } from '../../util/errors.js';
import { processAlive } from '../../util/process-alive.js';
import type { ContainerRecord } from './record.js';

const pollMs = 50;


/** Polls until the supervisor `pid` has gone; false when `timeoutMs` passed first. */
export async function waitForProcessExit(pid: number | undefined, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() > deadline) return false;
    await delay(pollMs);
  }
  return true;
}

/**
 * Polls `read` until the record no longer says running (or is gone, for --rm), giving the
 * last record seen and whether it ended. A created record without an error is a start still
 * under way, so it is waited for too.
 */
export async function waitForRunEnd(
  read: () => Promise<ContainerRecord | undefined>, last: ContainerRecord, timeoutMs = Infinity,
): Promise<{ record: ContainerRecord; removed: boolean; ended: boolean }> {
  const deadline = Date.now() + timeoutMs;
  for (let record = last; ;) {
    const starting = record.state.status === 'created' && record.state.error === undefined;
    if (record.state.status !== 'running' && !starting) return { record, removed: false, ended: true };
    if (Date.now() > deadline) return { record, removed: false, ended: false };
    await delay(pollMs);
    const next = await read();
    if (next === undefined) return { record, removed: true, ended: true };
    record = next;
  }
}

export function notRunning(record: ContainerRecord, action: string): KilnError {
  return new KilnError('CONFLICT', `cannot ${action} container: ${record.id}: container ${record.id} is not running`);
}
