// A COPY written straight into its layer: the tar is made from the source's files (the build
// context's, or a stage's read in place in the one layer dir that holds them) with the owners,
// modes and times the copy would give them, and the step's snapshot is committed lazy
// (snapshot/lazy.ts), so no file is created on disk unless a later step mounts it. A
// 50,000-file COPY then costs reading those files once, where copying them into a snapshot and
// diffing it again cost two writes and three reads of each. A copy that a RUN mounts next is
// planned the same way, and its entries are written into its snapshot's dir instead of a tar
// (copy-entries.ts): no mount(8) and umount(8) as for a copy on disk, and no blob to compress,
// sync and unpack before the RUN can start.
//
// The layer is the one the copy on disk would diff to, entry for entry: the destination's
// missing parents made as `mkdir -p` makes them; existing parents as the base has them; the
// copied tree in the differ's order (byte order, a directory before its children). When the
// copy would interact with the base beyond adding and replacing (a file over a directory,
// attributes on a directory it copies into, an archive to extract), or its source is spread
// over layers, this path steps aside and the copy runs on disk as before. Over a base that is
// itself COPY layers, their kept entry lists answer for them (copy-base.ts), so a chain of
// COPYs is planned without mounting any of them.
import { basename, dirname, join, relative } from 'node:path';
import { keepLayer, layerXattrs, readXattrsOf, writeLayerFrom, writeTar, type DescribedEntry } from '../exporter/index.js';
import type { CopyAction, FileOp } from '../llb/index.js';
import { cleanEntryPath, soleLayerDir } from '../snapshot/index.js';
import { keepEntries, withBaseTree, type BaseNode, type BaseTree } from './copy-base.js';
import { writeEntries } from './copy-entries.js';
import type { BuildOpContext, SnapshotRef } from './context.js';
import { resolveCopy, type ReadFrom, type ResolvedCopy } from './copy-resolve.js';
import { modeOf, type SourceEntry } from './copy-tree.js';
import { newStepId, stepResultKey } from './step.js';

/** The layer's entries by root-relative path, and the base's directories they land on. */
interface LayerPlan {
  entries: Map<string, DescribedEntry>;
  /** Paths of directories the base has that the layer writes again: checked for attributes. */
  existingDirs: string[];
}

/** Why the copy cannot be written as a plain layer; it then runs on disk. */
class StepAside extends Error {}

/**
 * Where the planned layer goes: `lazy`, nothing mounts the result, so the layer is a blob and
 * the snapshot stays off the disk; `unpacked`, a step mounts it next, so the entries are
 * written into the snapshot's dir.
 */
export type CopyLayerMode = 'lazy' | 'unpacked';

/** The copy action this path handles, with what it reads and lands on; undefined for any other op. */
function plainCopy(op: FileOp, inputs: SnapshotRef[]): { action: CopyAction; source: SnapshotRef; base: string | undefined } | undefined {
  const [action] = op.actions;
  if (op.actions.length !== 1 || action?.kind !== 'copy' || action.attemptUnpack || !action.createDestPath) return undefined;
  const source = action.secondaryInput === null ? undefined : inputs[action.secondaryInput];
  if (source === undefined || (source.context === undefined && source.snapshot === undefined)) return undefined;
  const base = action.input === null ? undefined : inputs[action.input];
  if (action.input !== null && (base === undefined || base.context !== undefined)) return undefined;
  return { action, source, base: base?.snapshot };
}

/**
 * The entries in the differ's order: byte order component by component, a directory right
 * before its children. That is the byte order of the paths with `/` read as the lowest byte
 * (no name holds a NUL); each path's key is made once.
 */
function inDifferOrder(entries: Iterable<DescribedEntry>): DescribedEntry[] {
  const keyed = [...entries].map((entry) => ({ entry, key: Buffer.from(entry.path.replaceAll('/', '\0')) }));
  return keyed.sort((a, b) => Buffer.compare(a.key, b.key)).map(({ entry }) => entry);
}

/** Steps aside when a directory on the way to `dest`, as written, is a listed non-directory. */
async function throughListed(base: BaseTree, dest: string): Promise<void> {
  let path = '';
  for (const name of cleanEntryPath(dest, 'path').slice(0, -1)) {
    path = path === '' ? name : `${path}/${name}`;
    const node = await base.lookup(path);
    if (node === undefined) return;
    if (node.listed && node.kind !== 'dir') throw new StepAside();
  }
}

class PlanBuilder {
  readonly plan: LayerPlan = { entries: new Map(), existingDirs: [] };
  private readonly now = Date.now();

  constructor(private readonly base: BaseTree, private readonly copy: ResolvedCopy) {}

  private get root(): string {
    return this.base.root;
  }

  /** A directory `mkdir -p` would make or find on the way to `abs` (inclusive). */
  async parents(abs: string): Promise<void> {
    const rel = relative(this.root, abs);
    if (rel === '') return;
    let path = '';
    for (const name of rel.split('/')) {
      path = path === '' ? name : `${path}/${name}`;
      const node = await this.base.lookup(path);
      if (node?.kind === 'other') throw new StepAside();
      if (node === undefined) this.put({ path, type: 'directory', mode: 0o755, uid: 0, gid: 0, mtimeMs: this.now });
      else this.existing(path, node);
    }
  }

  /** Copies source `path` to `abs`; `baseMayHave`: false once an ancestor was absent from the base. */
  async tree(path: string, abs: string, baseMayHave = true): Promise<void> {
    const entry = await this.copy.tree.entry(path);
    const rel = relative(this.root, abs);
    // Copied over the root itself: the differ never writes the root's own entry.
    if (rel === '') throw new StepAside();
    const node = baseMayHave ? await this.base.lookup(rel) : undefined;
    if (node !== undefined && (node.kind === 'dir') !== (entry.type === 'dir')) throw new StepAside();
    if (node?.kind === 'dir' && !node.listed) this.plan.existingDirs.push(rel);
    this.put(this.described(rel, path, entry));
    if (entry.type !== 'dir') return;
    for (const name of await this.copy.tree.children(path)) await this.tree(path === '' ? name : `${path}/${name}`, join(abs, name), node !== undefined);
  }

  private described(rel: string, path: string, entry: SourceEntry): DescribedEntry {
    const owner = this.copy.options.owner ?? { uid: entry.uid, gid: entry.gid };
    const common = { path: rel, mode: modeOf(entry, this.copy.options), uid: owner.uid, gid: owner.gid, mtimeMs: entry.mtime.getTime() };
    if (entry.type === 'dir') return { ...common, type: 'directory' };
    if (entry.type === 'symlink') return { ...common, type: 'symlink', mode: 0o777, linkTarget: entry.linkname };
    return { ...common, type: 'file', size: entry.size, source: this.copy.tree.file(path) };
  }

  /** A directory of the base the layer passes through, written as the base has it. */
  private existing(path: string, node: BaseNode): void {
    if (this.plan.entries.has(path)) return;
    if (!node.listed) this.plan.existingDirs.push(path);
    this.put({ path, type: 'directory', mode: node.mode, uid: node.uid, gid: node.gid, mtimeMs: node.mtimeMs });
  }

  /** A later source replaces an earlier one at the same path, as the copy on disk does, unless types differ. */
  private put(entry: DescribedEntry): void {
    const earlier = this.plan.entries.get(entry.path);
    if (earlier !== undefined && (earlier.type === 'directory') !== (entry.type === 'directory')) throw new StepAside();
    this.plan.entries.set(entry.path, entry);
  }
}

/** The layer the copy would make over `base` (read-only), or undefined. */
async function planLayer(context: BuildOpContext, action: CopyAction, base: BaseTree, source: SnapshotRef): Promise<LayerPlan | undefined> {
  const root = base.root;
  // A stage's tree is read where one layer dir holds all of what is copied; mounting a view
  // of it would cost what this path saves.
  const readFrom: ReadFrom = async (ref, path) => (ref.snapshot === undefined ? undefined : await soleLayerDir(context.snapshotter, ref.snapshot, path)) ?? Promise.reject(new StepAside());
  let builder: PlanBuilder;
  try {
    const copy = await resolveCopy(action, root, source, readFrom);
    builder = new PlanBuilder(base, copy);
    // Listed layers hold no symlinks, but may put a file where the mounted part has a
    // directory or a link the destination was resolved through.
    await throughListed(base, action.dest);
    await builder.parents(copy.intoDir ? copy.dest : dirname(copy.dest));
    for (const path of copy.paths) {
      const entry = await copy.tree.entry(path);
      if (entry.type === 'dir' && action.dirContentsOnly) {
        await builder.parents(copy.dest);
        for (const name of await copy.tree.children(path)) await builder.tree(path === '' ? name : `${path}/${name}`, join(copy.dest, name));
      } else {
        await builder.tree(path, copy.intoDir ? join(copy.dest, basename(path)) : copy.dest);
      }
    }
  } catch (err) {
    if (err instanceof StepAside) return undefined;
    throw err;
  }
  // A directory the copy lands on keeps the attributes it has in the base; a plain entry
  // would drop them, so such a copy runs on disk.
  const xattrs = await readXattrsOf(root, builder.plan.existingDirs);
  return builder.plan.existingDirs.some((path) => layerXattrs(xattrs, path).length > 0) ? undefined : builder.plan;
}

/**
 * Runs `op` as its planned layer when it is a plain COPY, and returns the snapshot committed
 * as `mode` says; undefined when the op must run on disk instead.
 */
export async function copyAsLayer(context: BuildOpContext, op: FileOp, inputs: SnapshotRef[], mode: CopyLayerMode, signal: AbortSignal): Promise<string | undefined> {
  const copy = plainCopy(op, inputs);
  if (copy === undefined) return undefined;
  const { snapshotter, engine } = context;
  const named = typeof copy.action.owner?.user === 'string' || typeof copy.action.owner?.group === 'string';
  const plan = await withBaseTree(context, copy.base, named, (base) => planLayer(context, copy.action, base, copy.source));
  if (plan === undefined) return undefined;
  const entries = inDifferOrder(plan.entries.values());
  const key = stepResultKey(newStepId('file'));
  if (mode === 'unpacked') {
    await snapshotter.commitTree(key, copy.base, (dir) => writeEntries(dir, entries));
  } else {
    const layer = await writeLayerFrom(engine.content, (tar) => writeTar(tar, { signal }, 'writing the COPY layer', async (writer, checkAbort) => {
      for (const entry of entries) {
        checkAbort();
        await writer.described(entry);
      }
    }), { signal });
    await snapshotter.commitLazy(key, copy.base, { layer: layer.descriptor, diffId: layer.diffId });
    await keepLayer(snapshotter, key, { descriptor: layer.descriptor, diffId: layer.diffId, created: new Date().toISOString() });
  }
  await keepEntries(snapshotter, key, entries);
  return key;
}
