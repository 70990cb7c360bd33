// `rm`: a container's mount, snapshot, runc state and record go, in that order, so that a
// failure part-way leaves a record that a second `rm` can finish. A running container is
// refused unless forced; forcing kills it through runc and waits for its supervisor to record
// the end and then for it to exit, or cleans up itself when the supervisor is gone too.
import { execFile } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { unmountAll } from '../../snapshot/mount.js';
import { OverlaySnapshotter } from '../../snapshot/snapshotter.js';
import { KilnError } from '../../util/errors.js';
import type { ImageEngine } from '../images/engine.js';
import { reconcile, runcRootOf } from './reconcile.js';
import { releaseContainerNetwork } from './network.js';
import type { ContainerRecord } from './record.js';
import { ContainerStore } from './store.js';
import { waitForProcessExit } from './supervisor.js';
import { anonymousVolumes } from './mounts.js';
import { removeAnonymousVolumes } from '../volumes/commands.js';

const killWaitMs = 10_000;

function runc(root: string, args: string[]): Promise<unknown> {
  return promisify(execFile)('runc', ['--root', runcRootOf(root), ...args], { timeout: 30_000 });
}

/** Kills a running container and waits until its record no longer says running. */
async function kill(engine: ImageEngine, store: ContainerStore, record: ContainerRecord): Promise<ContainerRecord> {
  const deadline = Date.now() + killWaitMs;
  for (let current = record; ; ) {
    await runc(engine.root, ['kill', current.id, 'KILL']).catch(() => undefined);
    await delay(50);
    const next = await store.get(current.id);
    if (next === undefined) return current;
    current = await reconcile(store, engine.root, next);
    if (current.state.status !== 'running') return current;
    if (Date.now() > deadline) {
      throw new KilnError('DEADLINE_EXCEEDED', `container ${current.id} did not stop within ${killWaitMs / 1000} seconds`);
    }
  }
}

/** rm without -f of a container that runs. */
export function removalRefused(record: ContainerRecord): KilnError {
  return new KilnError('CONFLICT', `cannot remove container "/${record.name}": container is running: stop the container before removing or force remove`, {
    hint: 'use rm -f to kill and remove it',
  });
}

export interface RemoveOptions {
  force?: boolean;
  /** rm -v: the container's anonymous volumes go too (named ones never do). */
  volumes?: boolean;
}

export async function removeContainer(engine: ImageEngine, text: string, options: RemoveOptions = {}): Promise<ContainerRecord> {
  const store = new ContainerStore(engine.root);
  let record = await reconcile(store, engine.root, await store.find(text));
  if (record.state.status === 'running') {
    if (options.force !== true) throw removalRefused(record);
    const supervisor = record.state.pid;
    record = await kill(engine, store, record);
    // The supervisor unmounts (and, with --rm, removes) after recording the end; removing
    // under it would race its cleanup.
    await waitForProcessExit(supervisor, killWaitMs);
  }
  await unmountAll(store.rootfsDir(record.id));
  await new OverlaySnapshotter(engine.root).remove(record.id).catch((err: unknown) => {
    if (!(err instanceof KilnError && err.code === 'NOT_FOUND')) throw err;
  });
  // State of a run whose supervisor died before runc could be told to delete it.
  await runc(engine.root, ['delete', '--force', record.id]).catch(() => undefined);
  // Its supervisor released the network already, unless it died first; a failure keeps the record for another rm.
  await releaseContainerNetwork(engine.root, record);
  await store.remove(record);
  if (options.volumes === true) await removeAnonymousVolumes(engine.root, anonymousVolumes(record.config.mounts));
  return record;
}
