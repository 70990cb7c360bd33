// A file op (COPY, ADD of files and archives, WORKDIR's mkdir): its actions run in order on one
// tree, a fresh active snapshot on top of the first action's input, mounted on the host for the length
// of the op and committed as its result. The chains the Dockerfile conversion emits are
// supported: each action works on the previous one's result and the last is the op's only
// output. A copy reads the build context (its key is then the content of what it selects, so
// an unchanged file hits whatever else changed in the context) or another step's snapshot.
// A plain COPY is planned as its layer instead and needs no mount (copy-layer.ts).
import { lchown, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { digestBytes, type Digest } from '../content/index.js';
import type { ContextSelection, SelectedEntry } from '../contenthash/index.js';
import { canonicalJson, type CopyAction, type FileAction, type FileOp } from '../llb/index.js';
import { mountAll, soleLayerDir, unmountAll } from '../snapshot/index.js';
import type { CacheDep, Op } from '../solver/index.js';
import { KilnError } from '../util/errors.js';
import type { BuildOpContext, SnapshotRef } from './context.js';
import { commitStep } from './step.js';
import { copyAsLayer, type CopyLayerMode } from './copy-layer.js';
import { inRoot, ownerIn, resolveCopy, type ReadFrom } from './copy-resolve.js';
import { copyTree } from './copy-tree.js';
import { isArchive, unpackArchive } from './unpack.js';
import { stageContentKey } from './stage-content.js';

/** The chain's shape, or a clear refusal of another. */
function checkChain(op: FileOp, inputCount: number): void {
  op.actions.forEach((action, at) => {
    const chained = at === 0 ? action.input === null || action.input < inputCount : action.input === inputCount + at - 1;
    const last = at === op.actions.length - 1;
    if (!chained || action.output !== (last ? 0 : null)) {
      throw new KilnError('NOT_IMPLEMENTED', 'file ops other than one chain of actions on one tree are not supported yet');
    }
  });
}

async function copy(action: CopyAction, root: string, source: SnapshotRef, readFrom: ReadFrom, staging: string): Promise<void> {
  const { tree, paths, dest, intoDir, options, chown } = await resolveCopy(action, root, source, readFrom);
  if (action.createDestPath) await mkdir(intoDir ? dest : join(dest, '..'), { recursive: true });
  for (const [at, path] of paths.entries()) {
    const entry = await tree.entry(path);
    // ADD of an archive: extracted into the destination, whatever its trailing slash.
    if (entry.type === 'file' && action.attemptUnpack && (await isArchive(tree.file(path), `/${path}`))) {
      await unpackArchive(tree.file(path), dest, chown, `${staging}-${at}`);
    } else if (entry.type === 'dir' && action.dirContentsOnly) {
      await mkdir(dest, { recursive: true });
      for (const name of await tree.children(path)) await copyTree(tree, path === '' ? name : `${path}/${name}`, join(dest, name), options);
    } else {
      await copyTree(tree, path, intoDir ? join(dest, basename(path)) : dest, options);
    }
  }
}

async function apply(action: FileAction, root: string, inputs: SnapshotRef[], readFrom: ReadFrom, staging: string): Promise<void> {
  switch (action.kind) {
    case 'copy': {
      const source = action.secondaryInput === null ? undefined : inputs[action.secondaryInput];
      if (source === undefined) throw new KilnError('INVALID_ARGUMENT', `copy of ${action.src}: no source input`);
      return copy(action, root, source, readFrom, staging);
    }
    case 'mkdir': {
      const path = await inRoot(root, action.path);
      await mkdir(path, { recursive: action.makeParents, mode: action.mode });
      const owner = await ownerIn(root, action.owner);
      if (owner !== undefined) await lchown(path, owner.uid, owner.gid);
      return;
    }
    case 'mkfile': {
      const path = await inRoot(root, action.path);
      await writeFile(path, action.data, { mode: action.mode });
      const owner = await ownerIn(root, action.owner);
      if (owner !== undefined) await lchown(path, owner.uid, owner.gid);
      return;
    }
    case 'rm':
      return rm(await inRoot(root, action.path), { recursive: true, force: action.allowNotFound });
    case 'symlink':
      return symlink(action.oldpath, await inRoot(root, action.newpath));
  }
}

/** `layerMode`: where a plain COPY's planned layer goes (copy-layer.ts): `unpacked` when a step mounts the result. */
export function fileOp(context: BuildOpContext, op: FileOp, inputCount: number, isLocal: (input: number) => boolean, layerMode: CopyLayerMode = 'lazy'): Op<SnapshotRef> {
  checkChain(op, inputCount);
  const copiesFrom = (input: number): CopyAction[] => op.actions.filter((a): a is CopyAction => a.kind === 'copy' && a.secondaryInput === input);
  const selectionsOf = (input: number): ContextSelection[] => copiesFrom(input).map((c) => ({
    paths: [c.src], allowWildcard: c.allowWildcard, followPaths: c.followSymlinks, include: c.includePatterns, exclude: c.excludePatterns,
  }));
  const deps = Array.from({ length: inputCount }, (_, input): CacheDep<SnapshotRef> => {
    // A stage a copy reads from counts by what the copy selects of it; the stage written over
    // counts whole.
    if (!isLocal(input)) {
      if (copiesFrom(input).length === 0) return {};
      return {
        selector: digestBytes(copiesFrom(input).map((c) => c.src).join('\0')),
        contentKey: async (ref) => stageContentKey(context, ref, selectionsOf(input)),
      };
    }
    // What a copy reads from the context, by content: the context's other files do not count.
    return {
      contentKey: async (ref) => {
        if (ref.context === undefined) throw new KilnError('INTERNAL', 'a local source gave no build context');
        const keys: Digest[] = [];
        for (const selection of selectionsOf(input)) keys.push(await ref.context.checksum(selection));
        return digestBytes(JSON.stringify(keys));
      },
      // The same selections, path by path: a miss can then name the file that changed.
      contentEntries: async (ref) => {
        if (ref.context === undefined) throw new KilnError('INTERNAL', 'a local source gave no build context');
        const entries: SelectedEntry[] = [];
        for (const selection of selectionsOf(input)) entries.push(...await ref.context.entries(selection));
        return entries;
      },
    };
  });
  return {
    outputs: 1,
    cacheMap: async () => ({ digest: digestBytes(canonicalJson({ type: 'file', actions: op.actions })), deps }),
    // A plain COPY becomes its layer directly; anything else runs on disk.
    exec: async (inputs, signal) => [{ snapshot: (await copyAsLayer(context, op, inputs, layerMode, signal)) ?? await runActions(context, op, inputs) }],
  };
}

function runActions(context: BuildOpContext, op: FileOp, inputs: SnapshotRef[]): Promise<string> {
  const { snapshotter } = context;
  const first = op.actions[0]?.input;
  const base = first === null || first === undefined ? undefined : inputs[first]?.snapshot;
  return commitStep(context, 'file', base, async ({ id, dir, mounts }) => {
    const root = join(dir, 'rootfs');
    const views: string[] = [];
    // A source snapshot is read in the one layer that holds what is copied, or else through
    // a view, mounted for the op's length.
    const readFrom: ReadFrom = async (ref, path) => {
      const sole = ref.snapshot === undefined ? undefined : await soleLayerDir(snapshotter, ref.snapshot, path);
      if (sole !== undefined) return sole;
      const source = join(dir, `source-${views.length}`);
      await mkdir(source, { recursive: true });
      if (ref.snapshot === undefined) return source;
      const view = `${id}-view-${views.length}`;
      views.push(source);
      await mountAll(await snapshotter.view(view, ref.snapshot), source);
      return source;
    };
    await mountAll(mounts, root);
    try {
      for (const [at, action] of op.actions.entries()) await apply(action, root, inputs, readFrom, join(dir, `unpack-${at}`));
    } finally {
      // Side by side: each unmount waits mostly on the kernel syncing its overlay.
      const unmounted = await Promise.allSettled([unmountAll(root), ...views.map(async (source, at) => {
        await unmountAll(source);
        await snapshotter.remove(`${id}-view-${at}`).catch(() => undefined);
      })]);
      const failed = unmounted.find((outcome) => outcome.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    }
  });
}
