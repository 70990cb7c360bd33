// State truth after a crash. A record saying `running` is only as true as the process behind
// it: if the supervising kiln process is gone and runc no longer runs the container, the run
// ended unseen (kill -9 of the CLI, a reboot) and nobody recorded how.
//
// Such a container is reported, and persisted, as exited with code 255 — what docker shows
// ("Exited (255)") for containers whose task vanished while the daemon was down, since the
// real status is unknown. 137 would claim a SIGKILL that nobody observed; 255 says "unknown"
// in the vocabulary docker users already read that way.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ContainerRecord } from './record.js';
import type { ContainerStore } from './store.js';

export const lostExitCode = 255;

/** runc's states in which the container's process exists. */
const liveRuncStates = new Set(['creating', 'created', 'running', 'paused']);

function pidAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** runc's status of the container, or undefined when runc has no state for it. */
export async function runcStatus(runcRoot: string, id: string): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)('runc', ['--root', runcRoot, 'state', id], { timeout: 30_000 });
    return (JSON.parse(stdout) as { status?: string }).status;
  } catch {
    return undefined;
  }
}

export function runcRootOf(root: string): string {
  return join(root, 'runc');
}

/** The record as it truly stands; a lost run is corrected and written back. */
export async function reconcile(store: ContainerStore, root: string, record: ContainerRecord): Promise<ContainerRecord> {
  if (record.state.status !== 'running' || pidAlive(record.state.pid)) return record;
  const status = await runcStatus(runcRootOf(root), record.id);
  if (status !== undefined && liveRuncStates.has(status)) return record;
  const corrected: ContainerRecord = {
    ...record,
    state: { ...record.state, status: 'exited', exitCode: lostExitCode, finishedAt: new Date().toISOString() },
  };
  delete corrected.state.pid;
  await store.write(corrected);
  return corrected;
}
