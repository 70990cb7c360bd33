// The mounts of a RUN besides its root (RUN --mount): where each comes from on the host while
// the step runs, as binds and tmpfs mounts for its spec.
// - bind (read-only): an input's tree at `selector`. A stage's snapshot is mounted through a
//   view; the build context is copied (what .dockerignore keeps of the selected path) so the
//   step never sees an ignored file.
// - cache: a directory that outlives builds, one per id under `<root>/cache/mounts/`;
//   `sharing=locked` steps take turns, `private` ones get a directory of their own while it is
//   in use, `shared` ones use it together.
// - tmpfs: a fresh tmpfs, `size` bytes at most.
// Secret and ssh mounts, and writable binds, are refused by name.
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BindMount } from '../executor/index.js';
import type { ExecMount } from '../llb/index.js';
import { cleanEntryPath, mountAll, resolveInRoot, unmountAll } from '../snapshot/index.js';
import { KilnError } from '../util/errors.js';
import type { BuildOpContext, SnapshotRef } from './context.js';
import { contextSource, copyTree } from './copy-tree.js';

/** Refuses the mounts the executor cannot give yet. */
export function checkExtraMount(mount: ExecMount): void {
  if (mount.kind === 'secret' || mount.kind === 'ssh') throw new KilnError('NOT_IMPLEMENTED', `RUN --mount=type=${mount.kind} (at ${mount.dest}) is not supported yet`);
  if (mount.kind === 'bind' && (!mount.readonly || mount.output !== null)) throw new KilnError('NOT_IMPLEMENTED', `RUN --mount=type=bind,rw (at ${mount.dest}) is not supported yet`);
  if (mount.kind === 'cache' && mount.input !== null) throw new KilnError('NOT_IMPLEMENTED', `RUN --mount=type=cache with from= (at ${mount.dest}) is not supported yet`);
}

/** `locked` cache users of one directory, one after another (within this process). */
const lockedCaches = new Map<string, Promise<void>>();
/** `private` cache directories in use. */
const privateInUse = new Set<string>();

export interface PreparedMounts {
  binds: BindMount[];
  /** Undoes what prepare did (unmounts views, ends cache turns). */
  release(): Promise<void>;
}

function cacheDir(context: BuildOpContext, id: string): string {
  return join(context.engine.root, 'cache', 'mounts', createHash('sha256').update(id).digest('hex'));
}

async function takeTurn(dir: string): Promise<() => void> {
  const previous = lockedCaches.get(dir) ?? Promise.resolve();
  let done = (): void => undefined;
  const turn = new Promise<void>((resolve) => {
    done = resolve;
  });
  const queued = previous.then(() => turn);
  lockedCaches.set(dir, queued);
  await previous;
  return () => {
    done();
    // The last in the queue leaves no entry behind.
    if (lockedCaches.get(dir) === queued) lockedCaches.delete(dir);
  };
}

/** Host paths for the step's extra mounts; `stepDir` holds what has to be made for them. */
export async function prepareMounts(context: BuildOpContext, mounts: ExecMount[], inputs: SnapshotRef[], stepDir: string, id: string): Promise<PreparedMounts> {
  const undo: (() => Promise<void> | void)[] = [];
  const binds: BindMount[] = [];
  const release = async (): Promise<void> => {
    for (const step of undo.reverse()) await step();
  };
  try {
    for (const [at, mount] of mounts.entries()) {
      if (mount.kind === 'tmpfs') {
        const size = mount.tmpfs?.size ?? 0;
        binds.push({ destination: mount.dest, source: 'tmpfs', type: 'tmpfs', options: ['nosuid', 'nodev', ...(size > 0 ? [`size=${size}`] : [])] });
      } else if (mount.kind === 'cache') {
        let dir = cacheDir(context, mount.cache?.id ?? mount.dest);
        const sharing = mount.cache?.sharing ?? 'shared';
        if (sharing === 'locked') undo.push(await takeTurn(dir));
        if (sharing === 'private') {
          if (privateInUse.has(dir)) dir = join(stepDir, `cache-${at}`);
          else {
            privateInUse.add(dir);
            const taken = dir;
            undo.push(() => void privateInUse.delete(taken));
          }
        }
        await mkdir(dir, { recursive: true });
        binds.push({ destination: mount.dest, source: dir, type: 'bind', options: ['rbind', 'rw'] });
      } else {
        binds.push({ destination: mount.dest, source: await bindSource(context, mount, inputs, join(stepDir, `mount-${at}`), `${id}-mount-${at}`, undo), type: 'bind', options: ['rbind', 'ro'] });
      }
    }
    return { binds, release };
  } catch (err) {
    await release();
    throw err;
  }
}

async function bindSource(context: BuildOpContext, mount: ExecMount, inputs: SnapshotRef[], dir: string, view: string, undo: (() => Promise<void> | void)[]): Promise<string> {
  const input = mount.input === null ? undefined : inputs[mount.input];
  const selector = mount.selector ?? '/';
  await mkdir(dir, { recursive: true });
  if (input?.context !== undefined) {
    // What .dockerignore keeps of the selected path, copied: a bind of the directory itself
    // would show the ignored files too.
    const { index, paths } = await input.context.select(selector, { allowWildcard: false });
    const target = join(dir, 'content');
    await copyTree(contextSource(input.context.contextDir, index), paths[0] ?? '', target, {});
    return target;
  }
  if (input?.snapshot === undefined) return dir;
  await mountAll(await context.snapshotter.view(view, input.snapshot), dir);
  undo.push(async () => {
    await unmountAll(dir);
    await context.snapshotter.remove(view).catch(() => undefined);
  });
  return join(dir, ...(await resolveInRoot(dir, cleanEntryPath(selector, 'path'), selector)));
}
