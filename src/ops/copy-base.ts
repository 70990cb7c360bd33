// The tree a COPY written as a layer lands on, as its planner asks about it (copy-layer.ts):
// what is at a path, with its metadata. When the base is itself made of COPY layers (lazy
// snapshots: `COPY a` then `COPY b`), their entry lists, kept beside them, answer for the
// paths they hold, and only the part below them is read on disk: a chain of COPYs stays off
// the disk. The lists hold no symlinks and no user database: a chain that would need
// those answered is mounted whole instead.
import { lstatSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { withParentView, type DescribedEntry } from '../exporter/index.js';
import type { OverlaySnapshotter } from '../snapshot/index.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { BuildOpContext } from './context.js';

/** Where a lazy COPY snapshot keeps its entries (path, type and metadata, never content). */
const entriesFile = 'layer-entries.json';

type EntryRow = [path: string, type: DescribedEntry['type'], mode: number, uid: number, gid: number, mtimeMs: number];

export interface BaseNode {
  kind: 'dir' | 'other';
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  /** Known from a lazy layer's list (it carries no attributes) rather than read off the disk. */
  listed: boolean;
}

export interface BaseTree {
  /** The mounted part: symlinks in the destination are resolved and user names looked up here. */
  root: string;
  lookup(rel: string): Promise<BaseNode | undefined>;
}

/** Keeps a lazy COPY snapshot's entries beside it, for the next COPY over it. */
export async function keepEntries(snapshotter: OverlaySnapshotter, key: string, entries: DescribedEntry[]): Promise<void> {
  const rows: EntryRow[] = entries.map((e) => [e.path, e.type, e.mode, e.uid, e.gid, e.mtimeMs]);
  await writeFileAtomic(await snapshotter.derivedFile(key, entriesFile), JSON.stringify(rows), { durable: false });
}

async function readEntries(snapshotter: OverlaySnapshotter, key: string): Promise<Map<string, EntryRow> | undefined> {
  try {
    // Read synchronously, as the lstats below: a COPY over a chain of COPYs reads one list per
    // layer, and each thread-pool round trip waits behind whatever else the pool is doing
    // (a layer's fsync), where the read itself takes microseconds.
    const rows = JSON.parse(readFileSync(await snapshotter.derivedFile(key, entriesFile), 'utf8')) as EntryRow[];
    return new Map(rows.map((row) => [row[0], row]));
  } catch {
    return undefined;
  }
}

/**
 * The lists of the COPY layers on top of `base`, top first, and the key below them; undefined
 * when one cannot stand in for its tree (a symlink in it, or a user database asked for). A
 * list answers for its layer whether or not a RUN has unpacked it since: an unpacked chain
 * would otherwise take a mounted view for every COPY over it.
 */
async function listedTop(snapshotter: OverlaySnapshotter, base: string, needsUsers: boolean): Promise<{ lists: Map<string, EntryRow>[]; below: string | undefined } | undefined> {
  const lists: Map<string, EntryRow>[] = [];
  let key: string | undefined = base;
  while (key !== undefined) {
    const list = await readEntries(snapshotter, key);
    if (list === undefined) break;
    if ([...list.values()].some((row) => row[1] === 'symlink')) return undefined;
    if (needsUsers && (list.has('etc/passwd') || list.has('etc/group'))) return undefined;
    lists.push(list);
    key = (await snapshotter.contentDir(key)).parent;
  }
  return { lists, below: key };
}

async function onDisk(root: string, rel: string): Promise<BaseNode | undefined> {
  const stats = lstatSync(join(root, rel), { throwIfNoEntry: false });
  if (stats === undefined) return undefined;
  return { kind: stats.isDirectory() ? 'dir' : 'other', mode: stats.mode, uid: stats.uid, gid: stats.gid, mtimeMs: stats.mtimeMs, listed: false };
}

function tree(root: string, lists: Map<string, EntryRow>[]): BaseTree {
  return {
    root,
    lookup: async (rel) => {
      for (const list of lists) {
        const row = list.get(rel);
        if (row !== undefined) return { kind: row[1] === 'directory' ? 'dir' : 'other', mode: row[2], uid: row[3], gid: row[4], mtimeMs: row[5], listed: true };
      }
      return onDisk(root, rel);
    },
  };
}

/** An empty directory standing for scratch's tree, for the length of `work`. */
async function withEmptyRoot<T>(context: BuildOpContext, work: (root: string) => Promise<T>): Promise<T> {
  // The work dir is made by the first step that needs it; this may be the first.
  await mkdir(context.workDir, { recursive: true });
  const root = await mkdtemp(join(context.workDir, 'scratch-'));
  try {
    return await work(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Runs `work` on the tree of snapshot `base` (undefined: scratch), mounting as little as it can. */
export async function withBaseTree<T>(context: BuildOpContext, base: string | undefined, needsUsers: boolean, work: (base: BaseTree) => Promise<T>): Promise<T> {
  const { snapshotter } = context;
  const top = base === undefined ? { lists: [], below: undefined } : await listedTop(snapshotter, base, needsUsers);
  const lists = top?.lists ?? [];
  const below = top === undefined ? base : top.below;
  return below === undefined
    ? withEmptyRoot(context, (root) => work(tree(root, lists)))
    : withParentView(snapshotter, below, (root) => work(tree(root, lists)));
}
