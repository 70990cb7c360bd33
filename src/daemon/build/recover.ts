// What a daemon killed in the middle of a build leaves behind, swept before it serves again.
// Nothing of it is in the cache: a step's record is written only after its snapshot was
// committed, so a rebuild simply runs the step again. But the step's runc container may still
// run (runc outlives its parent), its views stay mounted, its directory and its active snapshot
// stay on disk, and so do the differ's parent views. This daemon owns the root (no other process
// builds in it), so every step directory, runc state, uncommitted step snapshot, parent view and
// uploaded build context found at its start is a leftover.
import { execFile } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { diffViewPrefix } from '../../exporter/index.js';
import { buildWorkDir } from '../../ops/index.js';
import { unmountAll } from '../../snapshot/index.js';
import { engineSnapshotter, type ImageEngine } from '../images/engine.js';

/** A step's directory (ops/step.ts names them), and the snapshots it makes before its commit. */
const stepDir = /^kiln-(run|file)-[0-9a-f]{16}$/;
const stepSnapshot = /^kiln-(run|file)-[0-9a-f]{16}-(active|view-\d+)$/;

export function buildRuncRoot(root: string): string {
  return join(buildWorkDir(root), 'runc');
}

/** Where build contexts uploaded to the daemon (Docker API builds) are extracted, each for one build. */
export function receivedContextsDir(root: string): string {
  return join(root, 'tmp', 'build-contexts');
}

async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

/** Sweeps interrupted build steps; returns how many steps left something. */
export async function removeInterruptedSteps(engine: ImageEngine): Promise<number> {
  const runcRoot = buildRuncRoot(engine.root);
  // A step's container first (it may still run, with its rootfs in use), then its mounts and files.
  for (const id of await entries(runcRoot)) {
    await promisify(execFile)('runc', ['--root', runcRoot, 'delete', '--force', id], { timeout: 30_000 }).catch(() => undefined);
  }
  const steps = (await entries(buildWorkDir(engine.root))).filter((name) => stepDir.test(name));
  for (const name of steps) {
    const dir = join(buildWorkDir(engine.root), name);
    await unmountAll(dir);
    await rm(dir, { recursive: true, force: true });
  }
  // An uploaded context is only ever read by the build it came with.
  await rm(receivedContextsDir(engine.root), { recursive: true, force: true });
  const snapshotter = engineSnapshotter(engine);
  // The differ's parent views: mounted under the root's mount dir, and their snapshots.
  await unmountAll(snapshotter.mountDir);
  await rm(snapshotter.mountDir, { recursive: true, force: true });
  const keys = (await snapshotter.list()).map((info) => info.key);
  for (const key of keys.filter((key) => key.startsWith(diffViewPrefix))) await snapshotter.remove(key);
  // Views before the active snapshots they may read from.
  const leftovers = keys.filter((key) => stepSnapshot.test(key)).sort((a, b) => Number(b.includes('-view-')) - Number(a.includes('-view-')));
  for (const key of leftovers) await snapshotter.remove(key);
  return new Set([...steps, ...leftovers.map((key) => key.replace(/-(active|view-\d+)$/, ''))]).size;
}
