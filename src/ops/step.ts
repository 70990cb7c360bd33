// The life of a step that writes a snapshot (RUN, a file op): a directory of its own under the
// build's work dir, a fresh active snapshot over its parent, the work, and then either the
// commit of the snapshot as the step's result or, on any failure, nothing left: the active
// snapshot removed and the directory too.
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Mount } from '../snapshot/index.js';
import type { BuildOpContext } from './context.js';

export interface Step {
  /** Unique among steps; also the runc container id of a RUN. */
  id: string;
  /** The step's own directory (bundle, mount points); `dir/rootfs` exists, empty. */
  dir: string;
  /** The active snapshot's mounts, for the work to mount (or hand to runc). */
  mounts: Mount[];
}

/** A new step's id; its committed result is `stepResultKey(id)`, the name the cache inventory knows steps by. */
export function newStepId(kind: string): string {
  return `kiln-${kind}-${randomBytes(8).toString('hex')}`;
}

export function stepResultKey(id: string): string {
  return `${id}-result`;
}

/** Runs `work` on a new snapshot over `parent` and returns the committed snapshot's key. */
export async function commitStep(context: BuildOpContext, kind: string, parent: string | undefined, work: (step: Step) => Promise<void>): Promise<string> {
  const { snapshotter } = context;
  const id = newStepId(kind);
  const dir = join(context.workDir, id);
  const active = `${id}-active`;
  let committed = false;
  try {
    await mkdir(join(dir, 'rootfs'), { recursive: true });
    // Volatile: the unmount after the step would otherwise sync the whole filesystem.
    await work({ id, dir, mounts: await snapshotter.prepare(active, parent, { volatile: true }) });
    const name = stepResultKey(id);
    await snapshotter.commit(name, active);
    committed = true;
    return name;
  } finally {
    if (!committed) await snapshotter.remove(active).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
