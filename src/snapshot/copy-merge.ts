// The copy fallback's merge: the content an overlay mount of a chain of layer dirs would show,
// materialised by copying each layer dir (bottom first) onto the target. Layer dirs carry
// overlayfs whiteouts (overlay-whiteout.ts), which are applied here instead of copied.
//
// Before each layer is copied, the target is cleared where the layer replaces or hides
// something: whited-out entries, opaque directories, and any entry whose type the layer
// changes (cp cannot put a file over a directory or a directory over a symlink). After that,
// every directory the copy descends into is a real directory of the target, so no symlink a
// lower layer planted can lead the copy outside it; `--remove-destination` keeps cp from
// writing through a symlink at a file's own path.
import { execFile } from 'node:child_process';
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KilnError } from '../util/errors.js';
import { isOverlayWhiteout, opaqueXattr } from './overlay-whiteout.js';
import { unquoteGetfattr } from './xattr.js';

const run = promisify(execFile);

/** Root-relative paths ('' for the root) of the layer's opaque directories, in one getfattr run. */
export async function opaqueDirs(layer: string): Promise<Set<string>> {
  const { stdout } = await run('getfattr', ['-R', '-P', '--absolute-names', '-d', '-m', `^${opaqueXattr.replace(/\./g, '\\.')}$`, '--', layer], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const dirs = new Set<string>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('# file: ')) continue;
    const path = unquoteGetfattr(line.slice('# file: '.length));
    dirs.add(path === layer ? '' : path.slice(layer.length + 1));
  }
  return dirs;
}

async function lstatOrUndefined(path: string) {
  return lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
}

/** Clears the target below `rel` for the layer; returns the layer's whiteouts there. */
async function clearFor(layer: string, target: string, rel: string[], opaque: Set<string>): Promise<string[][]> {
  const whiteouts: string[][] = [];
  for (const name of await readdir(join(layer, ...rel))) {
    const path = [...rel, name];
    const stats = await lstat(join(layer, ...path));
    const existing = await lstatOrUndefined(join(target, ...path));
    if (isOverlayWhiteout(stats)) {
      whiteouts.push(path);
      if (existing !== undefined) await rm(join(target, ...path), { recursive: true, force: true });
    } else if (stats.isDirectory()) {
      const keep = existing?.isDirectory() === true && !opaque.has(path.join('/'));
      if (existing !== undefined && !keep) await rm(join(target, ...path), { recursive: true, force: true });
      whiteouts.push(...(await clearFor(layer, target, path, opaque)));
    } else if (existing?.isDirectory() === true) {
      await rm(join(target, ...path), { recursive: true, force: true });
    }
  }
  return whiteouts;
}

async function mergeLayer(layer: string, target: string): Promise<void> {
  const opaque = await opaqueDirs(layer);
  if (opaque.has('')) {
    for (const name of await readdir(target)) await rm(join(target, name), { recursive: true, force: true });
  }
  const whiteouts = await clearFor(layer, target, [], opaque);
  await run('cp', ['-a', '--remove-destination', '--', `${layer}/.`, `${target}/`]);
  for (const path of whiteouts) await rm(join(target, ...path), { force: true });
  // The marker means nothing outside an overlay mount; a copy shows no trusted.* noise.
  for (const dir of opaque) await run('setfattr', ['-h', '-x', opaqueXattr, '--', join(target, ...dir.split('/').filter(Boolean))]);
}

/** Copies the merged content of `layers` (bottom first) into the empty dir `target`. */
export async function mergeLayersInto(layers: string[], target: string): Promise<void> {
  try {
    for (const layer of layers) await mergeLayer(layer, target);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    const reason = stderr !== undefined && stderr !== '' ? stderr : err instanceof Error ? err.message : String(err);
    throw new KilnError('INTERNAL', `copying the parent layers into ${target} failed: ${reason}`, { cause: err });
  }
}
