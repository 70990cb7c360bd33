// `--cache-from` and `--cache-to` around a build. Imports are opened before the solve, side by
// side: each reads its manifest and config only. One that cannot be read (no cache there yet,
// a registry down) is a warning, as in BuildKit, and the build goes on without it. Exports run
// after the image is delivered, each as a progress line of its own; a failed export is a
// warning unless `ignore-error=false` (api/build-cache.ts).
import type { Digest } from '../../content/index.js';
import type { Descriptor, ImageSource, ImageTarget } from '../../image/index.js';
import { OciLayoutSource, OciLayoutTarget } from '../../archive/index.js';
import type { CacheExport, CacheImport } from '../../api/build-cache.js';
import { listedBlobs, readCache } from '../../remotecache/documents.js';
import { inlineCacheField } from '../../remotecache/config.js';
import { recordsConfig } from '../../remotecache/shards.js';
import type { RegistryClient } from '../../registry/client.js';
import { formatReference, parseNormalizedReference, withDefaultTag } from '../../registry/reference.js';
import type { OverlaySnapshotter } from '../../snapshot/index.js';
import type { Edge, ProgressSink } from '../../solver/index.js';
import type { SnapshotRef } from '../../ops/index.js';
import { KilnError, isKilnError } from '../../util/errors.js';
import type { ImageEngine } from '../images/engine.js';
import { collectCache, exportedKeys, writeCache, type CollectedCache, type SolvedKeys } from './cache-export.js';
import { ImportedCacheSource } from './cache-import.js';
import { collectCacheMounts } from './cache-mount-transfer.js';
import type { CacheMountEntry } from '../../remotecache/config.js';
import { ProgressStep } from './progress-step.js';

export interface RemoteCacheOptions {
  registry: () => Promise<RegistryClient>;
  progress?: ProgressSink;
  signal?: AbortSignal;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A cache's reference with its tag, as the registry will be asked for it. */
function cacheReference(text: string): ReturnType<typeof parseNormalizedReference> {
  return withDefaultTag(parseNormalizedReference(text));
}

/** A local cache's root in its layout: by digest, or by tag (default `latest`). */
function layoutRoot(source: OciLayoutSource, spec: { tag?: string; digest?: string }, dir: string): Descriptor {
  const tag = spec.tag ?? 'latest';
  const found = source.images().find(({ name, desc }) => (spec.digest === undefined ? name === tag : desc.digest === spec.digest));
  if (found === undefined) throw new KilnError('NOT_FOUND', `no cache ${spec.digest ?? `tagged ${tag}`} in ${dir}`);
  return found.desc;
}

async function openSource(spec: CacheImport, options: RemoteCacheOptions): Promise<{ source: ImageSource; root: Descriptor }> {
  if (spec.type === 'local') {
    const source = await OciLayoutSource.open(spec.src);
    return { source, root: layoutRoot(source, spec, spec.src) };
  }
  const client = await options.registry();
  const ref = cacheReference(spec.ref);
  return { source: client.source(ref), root: await client.resolve(ref) };
}

function importName(spec: CacheImport): string {
  return spec.type === 'local' ? `importing cache manifest from ${spec.src}` : `importing cache manifest from ${formatReference(cacheReference(spec.ref))}`;
}

/** The imports that could be read, and a warning for each that could not. */
export async function openCacheImports(engine: ImageEngine, snapshotter: OverlaySnapshotter, specs: readonly CacheImport[], options: RemoteCacheOptions): Promise<{ sources: ImportedCacheSource[]; warnings: string[] }> {
  const warnings: string[] = [];
  const opened = await Promise.all(specs.map(async (spec) => {
    const step = new ProgressStep(options.progress, importName(spec));
    try {
      const { source, root } = await openSource(spec, options);
      const cache = await readCache(source, root, options.signal);
      step.end();
      return new ImportedCacheSource(engine.content, snapshotter, source, cache, spec.cacheMounts === true);
    } catch (err) {
      step.end(messageOf(err));
      if (options.signal?.aborted === true) throw err;
      warnings.push(`${importName(spec)}: ${messageOf(err)}`);
      return undefined;
    }
  }));
  return { sources: opened.filter((source) => source !== undefined), warnings };
}

/** Blobs the cache at `ref` lists now: the export need not ask the registry for them again. */
async function previousBlobs(client: RegistryClient, ref: ReturnType<typeof cacheReference>, signal?: AbortSignal): Promise<Set<Digest>> {
  try {
    return await listedBlobs(client.source(ref), await client.resolve(ref), signal);
  } catch {
    // No cache there yet (or unreadable): every blob is asked for.
    return new Set();
  }
}

async function openTarget(spec: Exclude<CacheExport, { type: 'inline' }>, options: RemoteCacheOptions): Promise<{ target: ImageTarget; known: Set<Digest> }> {
  if (spec.type === 'local') return { target: new OciLayoutTarget(spec.dest, { names: [spec.tag ?? 'latest'] }), known: new Set() };
  const client = await options.registry();
  const ref = cacheReference(spec.ref);
  return { target: client.target(ref), known: await previousBlobs(client, ref, options.signal) };
}

function exportName(spec: Exclude<CacheExport, { type: 'inline' }>): string {
  return spec.type === 'local' ? `exporting cache to ${spec.dest}` : `exporting cache to registry ${formatReference(cacheReference(spec.ref))}`;
}

export interface ExportInput {
  solved: readonly SolvedKeys[];
  /** The targets' heads (one per image). */
  heads: readonly (Edge<SnapshotRef> | undefined)[];
  /** The ids of the cache mounts the build declares, for exports that carry them. */
  cacheMounts?: readonly string[];
}

/**
 * The image config's inline cache (`--cache-to type=inline`): the records of the image's own
 * steps, whose layers are the image's. A build that clamps its layers to SOURCE_DATE_EPOCH
 * has other blobs than the records' layers: it gets a warning and no inline cache.
 */
export async function inlineCacheFields(engine: ImageEngine, snapshotter: OverlaySnapshotter, input: ExportInput, epoch: Date | undefined, warnings: string[]): Promise<Record<string, unknown> | undefined> {
  if (epoch !== undefined) {
    warnings.push('--cache-to type=inline: not with SOURCE_DATE_EPOCH, whose layers are rewritten; use type=registry instead');
    return undefined;
  }
  const collected = await collectCache(engine, snapshotter, exportedKeys(input.solved, 'min', input.heads, true));
  return { [inlineCacheField]: recordsConfig(collected.records) };
}

/** Runs each export; returns the warnings of those that failed and may. */
export async function exportCaches(engine: ImageEngine, snapshotter: OverlaySnapshotter, specs: readonly CacheExport[], input: ExportInput, options: RemoteCacheOptions): Promise<string[]> {
  const warnings: string[] = [];
  // Exports of the same mode file the same records: collected (layers made) once.
  const collected = new Map<string, Promise<CollectedCache>>();
  let mounts: Promise<CacheMountEntry[]> | undefined;
  for (const spec of specs) {
    if (spec.type === 'inline') continue;
    const step = new ProgressStep(options.progress, exportName(spec));
    try {
      let collecting = collected.get(spec.mode);
      if (collecting === undefined) {
        collecting = collectCache(engine, snapshotter, exportedKeys(input.solved, spec.mode, input.heads), options.signal);
        collected.set(spec.mode, collecting);
      }
      const cache = await collecting;
      const { target, known } = await openTarget(spec, options);
      if (spec.cacheMounts === true) mounts ??= collectCacheMounts(engine, input.cacheMounts ?? [], options.signal);
      const written = await writeCache(engine, cache, target, {
        known, ...(spec.cacheMounts === true ? { mounts: await mounts } : {}), ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      step.log(`${written.records} records, ${written.layers} layers${spec.cacheMounts === true ? `, ${written.mounts} cache mounts` : ''}: ${written.written} blobs uploaded, ${written.skipped} already there`);
      step.end();
    } catch (err) {
      step.end(messageOf(err));
      if (options.signal?.aborted === true || (isKilnError(err) && err.code === 'CANCELED') || !spec.ignoreError) {
        throw new KilnError(isKilnError(err) ? err.code : 'INTERNAL', `${exportName(spec)}: ${messageOf(err)}`, { cause: err });
      }
      warnings.push(`${exportName(spec)} failed: ${messageOf(err)}`);
    }
  }
  return warnings;
}
