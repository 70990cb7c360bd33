// State truth after a crash. A record saying `running` is only as true as the process behind
// it: if the supervising kiln process is gone and runc no longer runs the container, the run
// ended unseen (kill -9 of the CLI, a reboot) and nobody recorded how.
//
// Such a container is reported, and persisted, as exited with code 255 — what docker shows
// ("Exited (255)") for containers whose task vanished while the daemon was down, since the
// real status is unknown. 137 would claim a SIGKILL that nobody observed; 255 says "unknown"
// in the vocabulary docker users already read that way.
//
// The container can also outlive its supervisor (kill -9 of the daemon: runc and the
// container's process go on). Nobody reads its output or will record its end any more, so it
// is killed through runc and recorded as the SIGKILL ended it, 137; rm then cleans up.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { ContainerRecord } from './record.js';
import type { ContainerStore } from './store.js';
import { processAlive } from '../../util/process-alive.js';

export const lostExitCode = 255;
/** 128 + SIGKILL: how an orphaned container, killed here, ended. */
const orphanKilledExitCode = 137;
const orphanKillWaitMs = 10_000;

/** runc's states in which the container's process exists. */
const liveRuncStates = new Set(['creating', 'created', 'running', 'paused']);

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

/** SIGKILLs a container nobody supervises and waits until runc no longer runs it. */
async function killOrphan(runcRoot: string, id: string): Promise<boolean> {
  const deadline = Date.now() + orphanKillWaitMs;
  for (;;) {
    await promisify(execFile)('runc', ['--root', runcRoot, 'kill', id, 'KILL'], { timeout: 30_000 }).catch(() => undefined);
    const status = await runcStatus(runcRoot, id);
    if (status === undefined || !liveRuncStates.has(status)) return true;
    if (Date.now() > deadline) return false;
    await delay(50);
  }
}

/** The record as it truly stands; a lost run is corrected and written back. */
export async function reconcile(store: ContainerStore, root: string, record: ContainerRecord): Promise<ContainerRecord> {
  if (record.state.status !== 'running' || processAlive(record.state.pid)) return record;
  const status = await runcStatus(runcRootOf(root), record.id);
  const orphaned = status !== undefined && liveRuncStates.has(status);
  if (orphaned && !(await killOrphan(runcRootOf(root), record.id))) return record;
  const exitCode = orphaned ? orphanKilledExitCode : lostExitCode;
  const corrected: ContainerRecord = {
    ...record,
    state: { ...record.state, status: 'exited', exitCode, finishedAt: new Date().toISOString() },
  };
  delete corrected.state.pid;
  await store.write(corrected);
  // Nobody else will release the dead run's network. Loaded only here, so `ps` does not load the
  // network code; a failed release is retried, and reported, by `rm`.
  await (await import('./network.js')).releaseContainerNetwork(root, record).catch(() => undefined);
  return corrected;
}
