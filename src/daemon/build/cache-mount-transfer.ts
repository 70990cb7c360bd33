// Cache mounts (`RUN --mount=type=cache`) carried by a cache export and brought back by an
// import, when the build asks for it (`cache-mounts=true`): package managers' caches then
// survive from one CI runner to the next, which BuildKit cannot do (buildkit.md d, #2). Each
// mount's directory travels as one layer blob of its tree. The export takes the mounts the
// build's Dockerfile declares (by id; a cache made from a stage's files is keyed by that tree
// and stays local); the import fills a mount only when a step first uses it and the store has
// no directory for it yet, so a build whose steps are all cached downloads none.
//
// A tree that did not change gives the same bytes, so the export uploads it once. A mount
// that cannot be brought back is a warning and an empty cache, never a failed step.
import { access, mkdir, rm } from 'node:fs/promises';
import type { Digest } from '../../content/index.js';
import { writeDirectoryTar, writeLayerFrom } from '../../exporter/index.js';
import type { Definition } from '../../llb/index.js';
import { cacheMountDir } from '../../ops/cache-mounts.js';
import type { CacheMountEntry } from '../../remotecache/config.js';
import type { ImageEngine } from '../images/engine.js';

/** The ids of the cache mounts the definitions declare that are not made from a stage's files. */
export function declaredCacheMounts(definitions: readonly Definition[]): string[] {
  const ids = new Set<string>();
  for (const vertex of definitions.flatMap((definition) => definition.vertices)) {
    if (vertex.op.type !== 'exec') continue;
    for (const mount of vertex.op.mounts) if (mount.kind === 'cache' && mount.input === null && mount.cache !== undefined) ids.add(mount.cache.id);
  }
  return [...ids].sort();
}

/** Each declared mount this store has a directory for, as a layer blob in the content store. */
export async function collectCacheMounts(engine: ImageEngine, ids: readonly string[], signal?: AbortSignal): Promise<CacheMountEntry[]> {
  const entries: CacheMountEntry[] = [];
  for (const id of ids) {
    const dir = cacheMountDir(engine.root, id);
    if (!(await access(dir).then(() => true, () => false))) continue;
    const layer = await writeLayerFrom(engine.content, (tar) => writeDirectoryTar(dir, tar, signal === undefined ? {} : { signal }), signal === undefined ? {} : { signal });
    entries.push({ id, blob: layer.descriptor, diffId: layer.diffId });
  }
  return entries;
}

/**
 * Fills `dir` (a new, empty cache directory) with a mount's tree: the blob fetched by `fetch`
 * into the content store, then unpacked and checked against its diff ID. On any failure the
 * directory is left empty and `warn` is told.
 */
export async function fillCacheMount(engine: ImageEngine, entry: CacheMountEntry, dir: string, fetch: () => Promise<void>, warn: (message: string) => void): Promise<void> {
  try {
    await fetch();
    const { unpackLayer } = await import('../../snapshot/unpack-layer.js');
    await unpackLayer(engine.content, entry.blob, entry.diffId as Digest, dir);
  } catch (err) {
    warn(`cache mount ${entry.id} could not be imported, it starts empty: ${err instanceof Error ? err.message : String(err)}`);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir);
  }
}
