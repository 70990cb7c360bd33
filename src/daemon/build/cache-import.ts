// An imported cache as a source of results for the solver (solver/types.ts CacheSource). The
// cache's config is read up front; nothing else is fetched until a key hits. A hit brings over
// only the layers of that result's chain the store lacks, and makes each a lazy snapshot
// (snapshot/lazy.ts): nothing is unpacked unless a later step mounts it. So a cold runner whose
// final stage hits downloads the image's layers and no stage below it (partial chains).
//
// Snapshots are named by their layers' chain IDs: an image's layer by the chain ID itself, so
// it is the same snapshot a pull of that image unpacks, and a step's as an imported step
// result, which the build cache manages (prunes) like any step's. Two results sharing lower
// layers share their snapshots.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createGunzip, type Gunzip } from 'node:zlib';
import { digestBytes, digestHex, digestOf, newDigester, type ContentStore, type Digest } from '../../content/index.js';
import { keepLayer, readKeptLayer } from '../../exporter/index.js';
import { fetchVerified, layerCompression, type ImageSource } from '../../image/index.js';
import { withRetry } from '../../image/copy-blob.js';
import type { SnapshotRef } from '../../ops/index.js';
import type { ImportedCache } from '../../remotecache/documents.js';
import type { CacheLayer, ChainNode } from '../../remotecache/config.js';
import type { OverlaySnapshotter } from '../../snapshot/index.js';
import type { CacheSource } from '../../solver/index.js';
import { KilnError, isKilnError } from '../../util/errors.js';
import type { ImageEngine } from '../images/engine.js';
import { fillCacheMount } from './cache-mount-transfer.js';

/** The snapshot an imported step's layer becomes (cache-inventory.ts counts it a step result). */
export function importedStepKey(chainId: Digest): string {
  return `kiln-import-${digestHex(chainId).slice(0, 16)}-result`;
}

/**
 * Hashes a layer's uncompressed bytes as its blob streams by, to check the diff ID a cache
 * claims for it: blob digests are checked by the copy, but a diff ID would otherwise only be
 * checked when a later step unpacks the layer, after the hit was filed. Only gzip and plain
 * tars are checked; kiln's exports write nothing else.
 */
class DiffIdCheck {
  private readonly hash = newDigester();
  private readonly gunzip: Gunzip | undefined;
  private readonly drained: Promise<void>;
  /** A zstd layer, which this Node.js cannot decompress: left to the unpack to check. */
  private readonly skip: boolean;

  constructor(private readonly layer: CacheLayer) {
    const compression = layerCompression(layer.blob.mediaType);
    this.gunzip = compression === 'gzip' ? createGunzip() : undefined;
    this.drained = this.gunzip === undefined ? Promise.resolve() : new Promise((resolve, reject) => {
      this.gunzip?.on('data', (chunk: Buffer) => this.hash.update(chunk)).once('end', resolve).once('error', reject);
    });
    this.drained.catch(() => undefined);
    this.skip = compression === 'zstd';
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.gunzip === undefined) this.hash.update(chunk);
    else if (!this.gunzip.write(chunk)) await once(this.gunzip, 'drain');
  }

  /** Stops the decompression of a copy that failed. */
  dispose(): void {
    this.gunzip?.destroy();
  }

  async verify(): Promise<void> {
    this.gunzip?.end();
    await this.drained;
    const actual = digestOf(this.hash);
    if (!this.skip && actual !== this.layer.diffId) {
      throw new KilnError('INVALID_ARGUMENT', `layer ${this.layer.blob.digest} unpacks to ${actual}, not the diff ID ${this.layer.diffId} the cache gives`, {
        hint: 'the cache is corrupt or was tampered with; export it again',
      });
    }
  }
}

/**
 * Copies one blob into the content store, its digest and (for a layer) its diff ID verified
 * before it is committed, retried from the start on a transient failure.
 */
async function fetchBlob(source: ImageSource, content: ContentStore, layer: CacheLayer, signal: AbortSignal): Promise<void> {
  const desc = layer.blob;
  if ((await content.info(desc.digest)) !== undefined) return;
  await withRetry(desc, async () => {
    const writer = await content.writer(`cache-import-${randomBytes(8).toString('hex')}`, { digest: desc.digest, size: desc.size });
    const check = new DiffIdCheck(layer);
    try {
      for await (const chunk of await fetchVerified(source, desc, undefined, signal)) {
        await writer.write(chunk as Buffer);
        await check.write(chunk as Buffer);
      }
      await check.verify();
      await writer.commit(desc.size, desc.digest);
    } catch (err) {
      check.dispose();
      await writer.abort();
      throw err;
    }
  }, { signal });
}

export class ImportedCacheSource implements CacheSource<SnapshotRef> {
  private readonly byKey: Map<Digest, number>;
  /** Chain nodes made into snapshots (or being made), by node index: each once per build. */
  private readonly made = new Map<number, Promise<string>>();
  private readonly chainIds = new Map<number, Digest>();
  /** What went wrong without failing the build (a cache mount that could not be brought back). */
  readonly warnings: string[] = [];

  constructor(
    private readonly content: ContentStore,
    private readonly snapshotter: OverlaySnapshotter,
    private readonly source: ImageSource,
    private readonly cache: ImportedCache,
    /** The build asked for the cache's mounts too (`cache-mounts=true`). */
    private readonly withMounts = false,
  ) {
    this.byKey = new Map(cache.config.records.map((record) => [record.key, record.chain]));
  }

  /** What fills a new directory for cache mount `id`, when this cache carries that mount. */
  mountFill(engine: ImageEngine, id: string): ((dir: string) => Promise<void>) | undefined {
    const entry = this.withMounts ? this.cache.config.mounts?.find((mount) => mount.id === id) : undefined;
    if (entry === undefined) return undefined;
    return (dir) => fillCacheMount(engine, entry, dir, () => fetchBlob(this.source, this.content, entry, new AbortController().signal), (warning) => this.warnings.push(warning));
  }

  has(key: Digest): boolean {
    return this.byKey.has(key);
  }

  /**
   * The result under `key`, its chain brought over; undefined when the cache has none, or
   * when bringing it over failed (a registry gone, a corrupt blob): the step then runs here,
   * as it would have without the cache, and the build is warned.
   */
  async load(key: Digest, signal: AbortSignal): Promise<SnapshotRef | undefined> {
    const chain = this.byKey.get(key);
    if (chain === undefined) return undefined;
    if (chain === -1) return { snapshot: undefined };
    try {
      return { snapshot: await this.node(chain, signal) };
    } catch (err) {
      if (signal.aborted) throw err;
      this.warnings.push(`importing cache from ${this.source.location}: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  /** Chain node `at` as a committed snapshot over its parent's, its blob fetched when missing. */
  private node(at: number, signal: AbortSignal): Promise<string> {
    let made = this.made.get(at);
    if (made === undefined) {
      made = this.makeNode(at, signal);
      // A failed or cancelled attempt is not remembered: another build may try again.
      made.catch(() => this.made.delete(at));
      this.made.set(at, made);
    }
    return made;
  }

  private chainIdOf(at: number): Digest {
    let chainId = this.chainIds.get(at);
    if (chainId === undefined) {
      const node = this.cache.config.chains[at] as ChainNode;
      const { diffId } = this.cache.config.layers[node.layer] as CacheLayer;
      chainId = node.parent === -1 ? diffId : digestBytes(`${this.chainIdOf(node.parent)} ${diffId}`);
      this.chainIds.set(at, chainId);
    }
    return chainId;
  }

  private async makeNode(at: number, signal: AbortSignal): Promise<string> {
    const node = this.cache.config.chains[at] as ChainNode;
    const layer = this.cache.config.layers[node.layer] as CacheLayer;
    const snapshot = layer.image === true ? this.chainIdOf(at) : importedStepKey(this.chainIdOf(at));
    // Made before (an earlier import, a pull of the image): what is below it is there too.
    if (!(await this.exists(snapshot))) {
      // The parent and this layer's blob are fetched side by side: a chain downloads at once.
      const [parent] = await Promise.all([
        node.parent === -1 ? undefined : this.node(node.parent, signal),
        fetchBlob(this.source, this.content, layer, signal),
      ]);
      try {
        await this.snapshotter.commitLazy(snapshot, parent, { layer: layer.blob, diffId: layer.diffId });
      } catch (err) {
        // Another build (or a pull) made the same chain at the same time: theirs is the same.
        if (!(isKilnError(err) && err.code === 'ALREADY_EXISTS')) throw err;
      }
    }
    // A step's layer is kept as the step that made it kept it, with the time it was made: the
    // image's `created` then comes out as on the runner that built it, and so does its digest.
    // Also for a snapshot made before, whose keeping a crash may have cut short.
    if (layer.image !== true && (await readKeptLayer(this.content, this.snapshotter, snapshot)) === undefined) {
      await keepLayer(this.snapshotter, snapshot, { descriptor: layer.blob, diffId: layer.diffId, created: layer.created ?? new Date(0).toISOString() });
    }
    return snapshot;
  }

  private async exists(key: string): Promise<boolean> {
    try {
      return (await this.snapshotter.stat(key)).kind === 'committed';
    } catch (err) {
      if (isKilnError(err) && err.code === 'NOT_FOUND') return false;
      throw err;
    }
  }
}
