// A merge op (COPY --link): its first input's snapshot gets a new snapshot on top whose own
// content is every layer of the other inputs, in order, as BuildKit's merge snapshotter lays
// the upper inputs' diffs over the lower one. The layers' directories are in overlayfs's
// upper-dir format, so they are hard-linked into the new snapshot as they are: whiteout
// devices and opaque directories keep hiding what the lower input holds. Committed snapshots
// never change, which is what makes sharing their inodes safe.
//
// The op's key holds the inputs' keys, so only the merge (links, no copying) runs again when
// the lower input changes; the linked copy on scratch keeps its own key, and stays cached.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { digestBytes } from '../content/index.js';
import { opaqueDirs, snapshotChain, type OverlaySnapshotter } from '../snapshot/index.js';
import type { Op } from '../solver/index.js';
import { KilnError } from '../util/errors.js';
import type { BuildOpContext, SnapshotRef } from './context.js';

const run = promisify(execFile);

/**
 * Removes from `target` what the layer replaces: an entry the layer puts a file, link or
 * whiteout over, and any entry under an opaque directory or a changed type. Directories on
 * both sides merge, as overlayfs shows them.
 */
async function clearReplaced(layer: string, target: string, opaque: ReadonlySet<string>, path = ''): Promise<void> {
  for (const name of await readdir(join(layer, path))) {
    const rel = path === '' ? name : `${path}/${name}`;
    const existing = await lstat(join(target, rel)).catch(() => undefined);
    if (existing === undefined) continue;
    const entry = await lstat(join(layer, rel));
    if (entry.isDirectory() && existing.isDirectory() && !opaque.has(rel)) await clearReplaced(layer, target, opaque, rel);
    else await rm(join(target, rel), { recursive: true, force: true });
  }
}

/** Lays one layer directory over `target`, sharing its files' inodes. */
async function linkLayer(layer: string, target: string): Promise<void> {
  await clearReplaced(layer, target, await opaqueDirs(layer));
  // -a keeps owners, modes, times and xattrs (the opaque marks); -l links files and whiteouts.
  await run('cp', ['-a', '-l', '--', `${layer}/.`, `${target}/`]);
}

/** The layer directories an upper input adds, bottom first. */
async function layersOf(snapshotter: OverlaySnapshotter, ref: SnapshotRef): Promise<string[]> {
  // A COPY's snapshot may still be its layer blob only: its files are linked, so they must exist.
  if (ref.snapshot !== undefined) await snapshotter.unpackChain(ref.snapshot);
  const chain = await snapshotChain(snapshotter, ref.snapshot);
  const dirs = await Promise.all(chain.map((key) => snapshotter.contentDir(key)));
  // The copy driver keeps whole trees: the top one is the input, though without its deletions.
  if (dirs.some((d) => d.full) && dirs.length > 1) {
    throw new KilnError('NOT_IMPLEMENTED', 'merging (COPY --link) an input of more than one layer needs the overlay snapshotter', {
      hint: 'run kilnd where overlayfs is available',
    });
  }
  return dirs.map((d) => d.dir);
}

async function mergeInputs(context: BuildOpContext, inputs: SnapshotRef[]): Promise<string | undefined> {
  const { snapshotter } = context;
  const [lower, ...uppers] = inputs;
  if (lower === undefined) throw new KilnError('INVALID_ARGUMENT', 'a merge op needs at least one input');
  if (lower.context !== undefined || uppers.some((u) => u.context !== undefined)) {
    throw new KilnError('NOT_IMPLEMENTED', 'merging a local source directly is not supported; copy from it first');
  }
  const layers = (await Promise.all(uppers.map((upper) => layersOf(snapshotter, upper)))).flat();
  if (layers.length === 0) return lower.snapshot;
  const id = `kiln-merge-${randomBytes(8).toString('hex')}`;
  const active = `${id}-active`;
  let committed = false;
  try {
    await snapshotter.prepare(active, lower.snapshot);
    const { dir } = await snapshotter.contentDir(active);
    for (const layer of layers) await linkLayer(layer, dir);
    await snapshotter.commit(`${id}-result`, active);
    committed = true;
    return `${id}-result`;
  } finally {
    if (!committed) await snapshotter.remove(active).catch(() => undefined);
  }
}

export function mergeOp(context: BuildOpContext, inputCount: number): Op<SnapshotRef> {
  return {
    outputs: 1,
    cacheMap: async () => ({ digest: digestBytes(JSON.stringify(['merge', inputCount])), deps: Array.from({ length: inputCount }, () => ({})) }),
    exec: async (inputs) => [{ snapshot: await mergeInputs(context, inputs) }],
  };
}
