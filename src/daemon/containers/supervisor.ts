// Whether a container's supervisor still lives, and waiting for a container's run to end.
// A detached shim is re-parented when `kiln run -d` exits; if its new parent does not reap
// it, the exited shim lingers as a zombie that kill(pid, 0) still finds, so zombies count
// as gone.
import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { KilnError } from '../../util/errors.js';
import type { ContainerRecord } from './record.js';

const pollMs = 50;

export async function processAlive(pid: number | undefined): Promise<boolean> {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // The state is the field after the parenthesised command name.
  const state = stat?.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** Polls until the supervisor `pid` has gone; false when `timeoutMs` passed first. */
export async function waitForProcessExit(pid: number | undefined, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await processAlive(pid)) {
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
