// Detached containers, the containerd-shim way without a daemon: `kiln run -d` records the
// container, then hands it to a supervisor process of its own (`kiln --root R container-shim
// ID`, started in a new session so the CLI's exit or terminal does not touch it). The shim
// mounts, runs runc with the output going only to the json log, records running (its own pid
// as the supervisor) and then the exit, unmounts and honours --rm, exactly as a foreground run.
//
// The CLI waits until the container runs. A start failure (command not found) is read
// from the shim's stderr, the one pipe it keeps until then, since with --rm the record that
// would hold the error is gone already.
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { discard } from '../../util/discard.js';
import { KilnError } from '../../util/errors.js';
import type { ImageEngine } from '../images/engine.js';
import { findImage } from '../images/local.js';
import { runcRootOf, runcStatus } from './reconcile.js';
import type { ContainerRecord } from './record.js';
import { ContainerStartError, startContainer } from './run.js';
import { ContainerStore } from './store.js';

/** The shim's exit status when the container could not be started for a reason of kiln's own. */
const shimFailureStatus = 125;
const pollMs = 20;
/** How long a shim whose --rm container is gone may take to exit with its status. */
const shimExitWaitMs = 5_000;
/** runc's states once the container's process runs. */
const liveRuncStates = new Set(['running', 'paused']);

/** The shim's work: run the recorded container to its end; the result is the shim's exit status. */
export async function runShim(engine: ImageEngine, id: string): Promise<number> {
  const store = new ContainerStore(engine.root);
  const record = await store.get(id);
  if (record === undefined) throw new KilnError('NOT_FOUND', `No such container: ${id}`);
  try {
    const { image } = await findImage(engine, record.imageId);
    // -d -i: docker keeps a detached container's stdin open with nobody writing; a stream that
    // never ends does the same, where /dev/null would end a reader such as `cat` at once.
    const stdin = record.config.openStdin ? new PassThrough() : undefined;
    await startContainer(engine, image, record, { stdout: discard(), stderr: discard(), ...(stdin === undefined ? {} : { stdin }) });
    return 0;
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof ContainerStartError ? err.exitStatus : shimFailureStatus;
  }
}

/** The command line of this very CLI (source under tsx in tests, or dist), for the shim. */
function shimCommand(root: string, id: string): string[] {
  const entry = process.argv[1];
  if (entry === undefined) throw new KilnError('INTERNAL', 'cannot tell the kiln entry point to start the container supervisor');
  return [...process.execArgv, entry, '--root', root, 'container-shim', id];
}

/**
 * Starts the shim for a created container and resolves once runc runs the container's process
 * (or the run already ended, or, with --rm, is gone); a start failure rejects with the shim's status.
 */
export async function startDetached(engine: ImageEngine, record: ContainerRecord): Promise<void> {
  const shim = spawn(process.execPath, shimCommand(engine.root, record.id), { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let errorText = '';
  let exitStatus: number | undefined;
  shim.stderr?.setEncoding('utf8').on('data', (text: string) => (errorText += text));
  const exited = new Promise<void>((resolve) => shim.once('exit', (code) => {
    exitStatus = code ?? shimFailureStatus;
    resolve();
  }));
  await new Promise<void>((resolve, reject) => {
    shim.once('spawn', resolve);
    shim.once('error', reject);
  });
  try {
    await startOutcome(engine, record, exited, () => exitStatus, () => errorText);
  } finally {
    shim.stderr?.destroy();
    shim.unref();
  }
}

/**
 * Polls until the start is decided. The record says running before runc has started the
 * process (an executable not found is only known after), so success waits for runc's own
 * state to be running, or for the run to have ended already.
 */
async function startOutcome(
  engine: ImageEngine, record: ContainerRecord, exited: Promise<void>, exitStatus: () => number | undefined, errorText: () => string,
): Promise<void> {
  const store = new ContainerStore(engine.root);
  for (let waitedForExit = false; ;) {
    const status = exitStatus();
    if (status !== undefined && status !== 0) throw startFailure(record, errorText(), status);
    const current = await store.get(record.id);
    if (current?.state.error !== undefined) throw startFailure(record, current.state.error, current.state.exitCode ?? shimFailureStatus);
    if (status === 0 || current?.state.status === 'exited') return;
    if (current === undefined) {
      // --rm: the record is gone with the run; the shim's status tells how the start went.
      if (waitedForExit) return;
      await Promise.race([exited, delay(shimExitWaitMs)]);
      waitedForExit = true;
      continue;
    }
    if (current.state.status === 'running' && liveRuncStates.has((await runcStatus(runcRootOf(engine.root), record.id)) ?? '')) return;
    await delay(pollMs);
  }
}

function startFailure(record: ContainerRecord, message: string, status: number): KilnError {
  const cause = new KilnError(status === 127 ? 'NOT_FOUND' : status === 126 ? 'DENIED' : 'FAILED_PRECONDITION', message.trim() || `container ${record.id} failed to start`);
  return status === 126 || status === 127 ? new ContainerStartError(cause) : cause;
}
