// The mounts of a RUN besides its root (RUN --mount): where each comes from on the host while
// the step runs, as binds and tmpfs mounts for its spec.
// - bind: an input's tree at `selector`. A stage's snapshot is mounted through a view (or,
//   when writable, a throwaway snapshot on top of it: BuildKit keeps no writes of a bind); the
//   build context is copied (what .dockerignore keeps of the selected path) so the step never
//   sees an ignored file.
// - cache: cache-mounts.ts; tmpfs: a fresh tmpfs, `size` bytes at most.
// - secret, ssh: secret-mounts.ts.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BindMount } from '../executor/index.js';
import type { ExecMount } from '../llb/index.js';
import { cleanEntryPath, mountAll, resolveInRoot, unmountAll } from '../snapshot/index.js';
import { cacheSource, type CacheSeed, type Undo } from './cache-mounts.js';
import type { BuildOpContext, SnapshotRef } from './context.js';
import { contextSource, copyTree } from './copy-tree.js';
import { forwardAgent, StepSecrets } from './secret-mounts.js';

export interface PreparedMounts {
  binds: BindMount[];
  /** Undoes what prepare did (unmounts views, ends cache turns). */
  release(): Promise<void>;
}

interface MountPlace {
  context: BuildOpContext;
  inputs: SnapshotRef[];
  /** A directory of this mount's own in the step's directory. */
  dir: string;
  /** A snapshot key of this mount's own. */
  key: string;
  undo: Undo[];
}

/** Host paths for the step's extra mounts; `stepDir` holds what has to be made for them. */
export async function prepareMounts(context: BuildOpContext, mounts: ExecMount[], inputs: SnapshotRef[], stepDir: string, id: string): Promise<PreparedMounts> {
  const undo: Undo[] = [];
  const binds: BindMount[] = [];
  const release = async (): Promise<void> => {
    for (const step of undo.reverse()) await step();
  };
  const secrets = new StepSecrets(join(stepDir, 'secrets'));
  undo.push(() => secrets.release());
  try {
    for (const [at, mount] of mounts.entries()) {
      const place: MountPlace = { context, inputs, dir: join(stepDir, `mount-${at}`), key: `${id}-mount-${at}`, undo };
      const bind = await mountBind(place, mount, secrets);
      if (bind !== undefined) binds.push(bind);
    }
    return { binds, release };
  } catch (err) {
    await release();
    throw err;
  }
}

/** The spec mount for one ExecMount; undefined for an optional secret or agent not given. */
async function mountBind(place: MountPlace, mount: ExecMount, secrets: StepSecrets): Promise<BindMount | undefined> {
  const { context } = place;
  switch (mount.kind) {
    case 'tmpfs': {
      const size = mount.tmpfs?.size ?? 0;
      return { destination: mount.dest, source: 'tmpfs', type: 'tmpfs', options: ['nosuid', 'nodev', ...(size > 0 ? [`size=${size}`] : [])] };
    }
    case 'cache': {
      const source = await cacheSource(context, mount, cacheSeed(place, mount), `${place.dir}-private`, place.undo);
      return { destination: mount.dest, source, type: 'bind', options: ['rbind', 'rw'] };
    }
    case 'secret': {
      const file = await secrets.file(context, mount);
      return file === undefined ? undefined : { destination: mount.dest, source: file, type: 'bind', options: ['bind', 'ro', 'nosuid', 'nodev', 'noexec'] };
    }
    case 'ssh': {
      await mkdir(place.dir, { recursive: true });
      const forward = await forwardAgent(context, mount, join(place.dir, 'agent.sock'));
      if (forward === undefined) return undefined;
      place.undo.push(() => forward.close());
      return { destination: mount.dest, source: forward.socket, type: 'bind', options: ['bind', 'nosuid', 'nodev', 'noexec'] };
    }
    case 'bind':
      return { destination: mount.dest, source: await bindSource(place, mount), type: 'bind', options: ['rbind', mount.readonly ? 'ro' : 'rw'] };
  }
}

/** A cache made from an input's tree: the tree is opened only when the cache is first made. */
function cacheSeed(place: MountPlace, mount: ExecMount): CacheSeed | undefined {
  const input = mount.input === null ? undefined : place.inputs[mount.input];
  if (input === undefined || (input.snapshot === undefined && input.context === undefined)) return undefined;
  const selector = mount.selector ?? '/';
  return {
    identity: `${input.snapshot ?? 'context'}\0${selector}`,
    open: async () => {
      const seedPlace: MountPlace = { ...place, dir: `${place.dir}-seed`, key: `${place.key}-seed`, undo: [] };
      const dir = await bindSource(seedPlace, { ...mount, kind: 'bind', readonly: true });
      return { dir, close: async () => { for (const step of seedPlace.undo.reverse()) await step(); } };
    },
  };
}

async function bindSource(place: MountPlace, mount: ExecMount): Promise<string> {
  const { context, dir, undo } = place;
  const input = mount.input === null ? undefined : place.inputs[mount.input];
  const selector = mount.selector ?? '/';
  await mkdir(dir, { recursive: true });
  if (input?.context !== undefined) {
    // What .dockerignore keeps of the selected path, copied: a bind of the directory itself
    // would show the ignored files too (and a copy takes a writable bind's writes).
    const { index, paths } = await input.context.select(selector, { allowWildcard: false });
    const target = join(dir, 'content');
    await copyTree(contextSource(input.context.contextDir, index), paths[0] ?? '', target, {});
    return target;
  }
  if (input?.snapshot === undefined) return dir;
  // A writable bind writes into a snapshot of its own that is removed after the step.
  const key = mount.readonly ? place.key : `${place.key}-rw-${randomBytes(4).toString('hex')}`;
  const mounts = mount.readonly ? await context.snapshotter.view(key, input.snapshot) : await context.snapshotter.prepare(key, input.snapshot, { volatile: true });
  await mountAll(mounts, dir);
  undo.push(async () => {
    await unmountAll(dir);
    await context.snapshotter.remove(key).catch(() => undefined);
  });
  return join(dir, ...(await resolveInRoot(dir, cleanEntryPath(selector, 'path'), selector)));
}
