// What a COPY action reads and where it lands, resolved against the tree it writes into: the
// sources it selects (from the build context's index, or a stage's tree), the destination with
// the tree's symlinks followed, and the owner and mode every copied entry gets. Both ways of
// carrying a copy out share it: on disk (file.ts) and as a layer written straight from the
// context (copy-layer.ts).
import { join } from 'node:path';
import { readUserDatabase, resolveUserIn } from '../executor/index.js';
import type { CopyAction, FileOwner } from '../llb/index.js';
import { cleanEntryPath, resolveInRoot } from '../snapshot/index.js';
import { KilnError } from '../util/errors.js';
import type { SnapshotRef } from './context.js';
import { contextSource, directorySource, type CopyOptions, type CopyOwner, type TreeSource } from './copy-tree.js';

export interface ResolvedCopy {
  tree: TreeSource;
  /** The selected sources, as paths of `tree`. */
  paths: string[];
  /** Where they land, inside the tree written into. */
  dest: string;
  /** The sources land inside `dest` (a trailing slash, or several of them) rather than as it. */
  intoDir: boolean;
  /** Owner and mode of every copied entry. */
  options: CopyOptions;
  /** The owner --chown names, resolved in the tree written into. */
  chown?: CopyOwner;
}

/** A path inside `root`, its symlinks followed within it (an image's `/var/run -> /run`). */
export async function inRoot(root: string, path: string): Promise<string> {
  return join(root, ...(await resolveInRoot(root, cleanEntryPath(path, 'path'), path)));
}

/**
 * An owner by number, or by name as the tree's /etc/passwd and /etc/group give it. Without a
 * group the group is the user's uid, as docker documents for --chown (not USER's primary group).
 */
export async function ownerIn(root: string, owner: FileOwner | undefined): Promise<CopyOwner | undefined> {
  if (owner === undefined) return undefined;
  const spec = owner.group === undefined ? String(owner.user) : `${owner.user}:${owner.group}`;
  const named = typeof owner.user === 'string' || typeof owner.group === 'string';
  const users = named ? await readUserDatabase(root) : {};
  const resolved = resolveUserIn(spec, users.passwd, users.group);
  return { uid: resolved.uid, gid: owner.group === undefined ? resolved.uid : resolved.gid };
}

/**
 * Where a stage's snapshot is read, to copy root-relative `path` from it: a mounted view, or a
 * layer dir holding all of that path.
 */
export type ReadFrom = (ref: SnapshotRef, path: string) => Promise<string>;

/** Resolves `action` against `root`; `readFrom` gives a stage's snapshot to copy from. */
export async function resolveCopy(action: CopyAction, root: string, source: SnapshotRef, readFrom: ReadFrom): Promise<ResolvedCopy> {
  let tree: TreeSource;
  let paths: string[];
  if (source.context !== undefined) {
    const selected = await source.context.select(action.src, {
      allowWildcard: action.allowWildcard, followPaths: action.followSymlinks, include: action.includePatterns, exclude: action.excludePatterns,
    });
    tree = contextSource(source.context.contextDir, selected.index);
    paths = selected.paths;
  } else {
    const dir = await readFrom(source, cleanEntryPath(action.src, 'path').join('/'));
    tree = directorySource(dir, { snapshot: true });
    paths = [(await resolveInRoot(dir, cleanEntryPath(action.src, 'path'), action.src)).join('/')];
    await tree.entry(paths[0] as string).catch(() => {
      throw new KilnError('NOT_FOUND', `${action.src}: not found`);
    });
  }
  if (paths.length === 0 && !action.allowEmptyWildcard) throw new KilnError('NOT_FOUND', `${action.src}: no source files were specified`);
  const options: CopyOptions = {
    ...(action.mode === undefined ? {} : { mode: action.mode }),
    ...(action.modeStr === undefined ? {} : { symbolicMode: action.modeStr }),
    // The build context's files belong to root in the image, as docker's COPY gives them.
    ...(source.context !== undefined && action.owner === undefined ? { owner: { uid: 0, gid: 0 } } : {}),
  };
  const chown = await ownerIn(root, action.owner);
  return {
    tree, paths, dest: await inRoot(root, action.dest), intoDir: action.dest.endsWith('/') || paths.length > 1,
    options: chown === undefined ? options : { ...options, owner: chown },
    ...(chown === undefined ? {} : { chown }),
  };
}
