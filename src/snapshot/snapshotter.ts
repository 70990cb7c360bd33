// The overlay snapshotter (containerd's vocabulary): committed snapshots are read-only layer
// dirs, active ones an upper + work dir over their parent's chain, views a read-only mount of
// a chain. Layout: `<root>/snapshots/<id>/{fs,work,info.json}` (metadata.ts).
//
// A committed snapshot may also be lazy (lazy.ts): a layer blob, unpacked on first mount.
//
// Image layers are unpacked once each, keyed by their OCI chain ID, into a dir of their own
// with overlayfs whiteouts, so a layer dir is a lowerdir as it stands. Where overlayfs cannot
// be mounted (probe.ts) or `forceCopy` is set, an active snapshot gets a full copy of its
// parent's merged content instead and is bind-mounted; such a snapshot is marked `full`, and
// a chain of lowerdirs ends at it.
//
// The records are kept in memory between operations and read again only when the store's
// change counter (changes.ts) says another snapshotter changed them: a run then costs one stat
// per operation instead of a directory listing and one read per snapshot.
import { mkdirSync, renameSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContentStore, Digest } from '../content/index.js';
import type { Descriptor } from '../image/index.js';
import { KilnError } from '../util/errors.js';
import { chainIds } from './chain-id.js';
import { mergeLayersInto } from './copy-merge.js';
import {
  deleteHidden, hideSnapshotDir, infoFileName, infoOf, makeTempDir, newId, readRecords, removeStaleTempDirs, removeTornSnapshots, scanRecords, writeNewRecord, writeRecord,
  type LazyLayer, type SnapshotInfo, type SnapshotKind, type SnapshotRecord,
} from './metadata.js';
import { SnapshotChanges, sameVersion, type ChangeVersion } from './changes.js';
import { maxMountData, type Mount } from './mount.js';
import { removeTree } from './remove-tree.js';
import { fsDir, isUnpacked, unpackLazy } from './lazy.js';
import { cachedProbe, type Probe, type SnapshotDriver } from './probe.js';

export interface SnapshotterOptions {
  /** Copy parents into each active snapshot instead of mounting overlayfs. */
  forceCopy?: boolean;
  /** Where lazy snapshots' layer blobs are read from; without it a lazy snapshot cannot be mounted. */
  content?: ContentStore;
}

/**
 * The records a mount of `key` shows, top first: its own, then its parents', down to the bottom
 * or to a full tree (the copy fallback), below which nothing is visible.
 */
function* chainRecords(records: Map<string, SnapshotRecord>, key: string): Generator<SnapshotRecord> {
  for (let record = records.get(key); record !== undefined; record = record.parent === undefined ? undefined : records.get(record.parent)) {
    yield record;
    if (record.full) return;
  }
}

function notFound(key: string): KilnError {
  return new KilnError('NOT_FOUND', `snapshot "${key}" does not exist`);
}

export class OverlaySnapshotter {
  private readonly dir: string;
  private readonly forceCopy: boolean;
  private readonly content: ContentStore | undefined;
  /** Lazy snapshots being unpacked, by key: a second mount waits for the first unpack. */
  private readonly unpackingLazy = new Map<string, Promise<void>>();
  private started: Promise<Probe> | undefined;
  /** Metadata changes run one at a time, so two callers cannot claim one key. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Unpacks in flight by chain ID: a second caller waits for the first instead of racing it. */
  private readonly unpacking = new Map<string, Promise<void>>();
  private readonly changes: SnapshotChanges;
  /** The records as last read or changed here, and the store's version they are true for. */
  private cache: { records: Map<string, SnapshotRecord>; version: ChangeVersion } | undefined;

  /**
   * Where views are mounted for a while (the differ's parent view): inside the root this
   * process owns, so a daemon that restarts after a crash can find and undo what it left.
   */
  readonly mountDir: string;

  constructor(root: string, options: SnapshotterOptions = {}) {
    this.dir = join(root, 'snapshots');
    this.mountDir = join(root, 'mounts');
    this.forceCopy = options.forceCopy ?? false;
    this.content = options.content;
    this.changes = new SnapshotChanges(root);
  }

  /** overlay or copy: decided once, on first use, after removing what crashed writers left. */
  async driver(): Promise<SnapshotDriver> {
    return (await this.probed()).driver;
  }

  private probed(): Promise<Probe> {
    this.started ??= (async () => {
      await mkdir(this.dir, { recursive: true });
      await removeStaleTempDirs(this.dir);
      await this.removeTorn();
      return this.forceCopy ? { driver: 'copy', volatile: false } : cachedProbe(this.dir);
    })();
    return this.started;
  }

  /** Removes temp dirs of dead writers (half-unpacked layers, half-made snapshots). */
  async cleanup(): Promise<string[]> {
    await this.driver();
    return [...(await removeStaleTempDirs(this.dir)), ...(await this.removeTorn())];
  }

  /**
   * Snapshots whose record a power cut tore (active ones are not synced) go like temp dirs. The
   * listing this takes is the records' first read, kept when nothing had to go.
   */
  private async removeTorn(): Promise<string[]> {
    const version = await this.changes.version();
    const { records, torn } = await scanRecords(this.dir);
    if (torn.length === 0) {
      this.cache = { records: new Map(records.map((r) => [r.key, r])), version };
      return [];
    }
    await removeTornSnapshots(this.dir, torn);
    await this.changes.count();
    this.cache = undefined;
    return torn;
  }

  async unpack(content: ContentStore, layers: Descriptor[], diffIds: Digest[], signal?: AbortSignal): Promise<string> {
    if (layers.length !== diffIds.length || layers.length === 0) {
      throw new KilnError('INVALID_ARGUMENT',
        `an image with ${layers.length} layers and ${diffIds.length} diff IDs cannot be unpacked`, {
          hint: 'the manifest and its config must list the same, non-zero number of layers',
        });
    }
    await this.driver();
    const chain = chainIds(diffIds);
    for (const [i, chainId] of chain.entries()) {
      const layer = layers[i] as Descriptor;
      const diffId = diffIds[i] as Digest;
      let pending = this.unpacking.get(chainId);
      if (pending === undefined) {
        pending = this.unpackOne(content, layer, diffId, chainId, chain[i - 1], signal)
          .finally(() => this.unpacking.delete(chainId));
        this.unpacking.set(chainId, pending);
      }
      await pending;
    }
    return chain.at(-1) as string;
  }

  private async unpackOne(content: ContentStore, layer: Descriptor, diffId: Digest, chainId: string, parent: string | undefined, signal?: AbortSignal): Promise<void> {
    if ((await this.find(chainId)) !== undefined) return;
    const temp = makeTempDir(this.dir);
    try {
      await mkdir(join(temp, 'fs'));
      // Loaded on first unpack only: a run of an image already unpacked never needs the tar reader.
      const { unpackLayer } = await import('./unpack-layer.js');
      await unpackLayer(content, layer, diffId, join(temp, 'fs'), signal);
      // Named after the chain ID, so that a second snapshotter (or process) unpacking the same
      // chain at once finds the rename taken rather than committing a duplicate.
      const record: SnapshotRecord = {
        id: `l${chainId.slice('sha256:'.length, 'sha256:'.length + 12)}`, key: chainId, kind: 'committed',
        createdAt: new Date().toISOString(), full: false, ...(parent === undefined ? {} : { parent }),
      };
      await writeRecord(temp, record);
      await this.exclusive(async () => {
        const records = await this.records();
        if (await this.publishLayer(temp, record)) await this.changed(records, (all) => all.set(record.key, record));
      });
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }

  /** true: ours is in place; false: another writer's copy of the same chain already was. */
  private async publishLayer(temp: string, record: SnapshotRecord): Promise<boolean> {
    try {
      await rename(temp, join(this.dir, record.id));
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      // Theirs is as good as ours; a different chain under the same short id is not.
      if ((await this.find(record.key, true)) !== undefined) return false;
      throw new KilnError('INTERNAL', `snapshot id ${record.id} of layer chain ${record.key} is taken by another chain`, { cause: err });
    }
  }

  /**
   * A new active snapshot over `parent`. `volatile` (a build step's, never a container's): its
   * overlay skips syncing the upper filesystem when unmounted, and ignores the fsyncs made
   * through it, where the kernel has the option. A step's files are never synced anyway (a
   * crash leaves its snapshot uncommitted, and the step runs again), while that sync waits for
   * every dirty page on the filesystem, anyone's: on a busy disk, seconds per step.
   */
  prepare(key: string, parent?: string, options: { volatile?: boolean } = {}): Promise<Mount[]> {
    return this.create(key, 'active', parent, options.volatile === true);
  }

  view(key: string, parent: string): Promise<Mount[]> {
    return this.create(key, 'view', parent);
  }

  /**
   * Commits `key` as a lazy snapshot over `parent`: its content is `lazy.layer`, unpacked only
   * when a mount needs it. The layer blob must be in the content store already.
   */
  async commitLazy(key: string, parent: string | undefined, lazy: LazyLayer): Promise<void> {
    await this.driver();
    await this.publish(makeTempDir(this.dir), key, parent, { full: false, lazy });
  }

  /**
   * Commits `key` over `parent` with the tree `fill` writes into the dir it is given: a
   * snapshot made without mounting anything (a COPY written from its plan). The tree is
   * written in a temp dir and renamed in whole, so a crash leaves no half snapshot; over the
   * copy driver the dir holds the parent's tree first, as every snapshot of that driver does.
   */
  async commitTree(key: string, parent: string | undefined, fill: (dir: string) => Promise<void>): Promise<void> {
    const driver = await this.driver();
    if (parent !== undefined) await this.unpackChain(parent);
    const temp = makeTempDir(this.dir);
    try {
      await mkdir(join(temp, 'fs'), { recursive: true });
      if (driver === 'copy' && parent !== undefined) {
        const lowers = this.chainOf(await this.recordsWith(parent), parent);
        await mergeLayersInto(lowers.map((id) => this.fsOf(id)).reverse(), join(temp, 'fs'));
      }
      await fill(join(temp, 'fs'));
    } catch (err) {
      await rm(temp, { recursive: true, force: true });
      throw err;
    }
    await this.publish(temp, key, parent, { full: driver === 'copy' });
  }

  /** Makes snapshot dir `temp` the committed snapshot `key` over `parent`, or removes it. */
  private async publish(temp: string, key: string, parent: string | undefined, content: Pick<SnapshotRecord, 'full' | 'lazy'>): Promise<void> {
    try {
      await this.exclusive(async () => {
        const records = await this.records();
        if (records.has(key)) throw new KilnError('ALREADY_EXISTS', `snapshot "${key}" already exists`);
        if (parent !== undefined && records.get(parent)?.kind !== 'committed') {
          throw new KilnError('FAILED_PRECONDITION', `snapshot "${parent}" is not a committed snapshot to build on`);
        }
        const record: SnapshotRecord = {
          id: newId(), key, kind: 'committed', createdAt: new Date().toISOString(), ...content,
          ...(parent === undefined ? {} : { parent }),
        };
        // Not synced, as any step's commit: lost to a power cut, the step runs again.
        await writeNewRecord(temp, record, { durable: false });
        await rename(temp, join(this.dir, record.id));
        await this.changed(records, (all) => all.set(key, record));
      });
    } catch (err) {
      await rm(temp, { recursive: true, force: true });
      throw err;
    }
  }

  /** The unpack of lazy snapshot `record`, the one under way if there is one. */
  private unpackingLazyOf(record: SnapshotRecord, signal?: AbortSignal): Promise<void> {
    let pending = this.unpackingLazy.get(record.key);
    if (pending === undefined) {
      pending = unpackLazy(this.content, this.dir, record, signal).finally(() => this.unpackingLazy.delete(record.key));
      this.unpackingLazy.set(record.key, pending);
    }
    return pending;
  }

  /**
   * Unpacks the lazy snapshots in the chain of `key`, so that its tree is all on disk. Each
   * layer unpacks into a dir of its own, so they unpack side by side: a chain of small COPY
   * layers under a RUN costs about one unpack, not one after another.
   */
  async unpackChain(key: string, signal?: AbortSignal): Promise<void> {
    await this.driver();
    const records = await this.recordsWith(key);
    if (!records.has(key)) throw notFound(key);
    const packed = [...chainRecords(records, key)].filter((record) => !isUnpacked(this.dir, record));
    await Promise.all(packed.map((lazy) => this.unpackingLazyOf(lazy, signal)));
  }

  /**
   * The fs dirs a view of committed snapshot `key` stacks, top first, to read its tree without
   * mounting it (layer-lookup.ts); undefined while one of them is a packed layer.
   */
  async layerDirs(key: string): Promise<string[] | undefined> {
    await this.driver();
    const records = await this.recordsWith(key);
    if (!records.has(key)) throw notFound(key);
    const chain = [...chainRecords(records, key)];
    if (chain.some((record) => record.kind !== 'committed' || !isUnpacked(this.dir, record))) return undefined;
    return chain.map((record) => this.fsOf(record.id));
  }

  /** The layer blobs of lazy snapshots: content GC must keep them, as they are the snapshots' only copy. */
  async lazyLayers(): Promise<Descriptor[]> {
    await this.driver();
    return [...(await this.records()).values()].flatMap((record) => (record.lazy === undefined ? [] : [record.lazy.layer]));
  }

  private async create(key: string, kind: SnapshotKind, parent: string | undefined, volatile = false): Promise<Mount[]> {
    const { driver, volatile: canBeVolatile } = await this.probed();
    // Outside the metadata queue: an unpack can take long, and nothing else needs to wait for it.
    if (parent !== undefined) await this.unpackChain(parent);
    return this.exclusive(async () => {
      const records = await this.records();
      if (records.has(key)) throw new KilnError('ALREADY_EXISTS', `snapshot "${key}" already exists`);
      const lowers = parent === undefined ? [] : this.chainOf(records, parent);
      const record: SnapshotRecord = {
        id: newId(), key, kind, createdAt: new Date().toISOString(), full: driver === 'copy',
        ...(parent === undefined ? {} : { parent }),
        ...(volatile && canBeVolatile ? { volatile: true } : {}),
      };
      // A few directories and a small record, made synchronously (see remove-tree.ts): this is
      // on every container start. Only a copy's merge of the layers is long, and asynchronous.
      const temp = makeTempDir(this.dir);
      try {
        mkdirSync(join(temp, 'fs'));
        if (driver === 'copy') await mergeLayersInto(lowers.map((id) => this.fsOf(id)).reverse(), join(temp, 'fs'));
        if (driver === 'overlay' && kind === 'active' && parent !== undefined) mkdirSync(join(temp, 'work'));
        // An active snapshot or a view lives as long as its container or build step: a power cut
        // that tears its record leaves a leftover for cleanup, which is not worth two disk flushes.
        await writeNewRecord(temp, record, { durable: false });
        // The temp dir is whole only once renamed.
        renameSync(temp, join(this.dir, record.id));
      } catch (err) {
        await rm(temp, { recursive: true, force: true });
        throw err;
      }
      await this.changed(records, (all) => all.set(key, record));
      return this.mountsOf(records, record);
    });
  }

  async mounts(key: string): Promise<Mount[]> {
    await this.driver();
    const records = await this.recordsWith(key);
    const record = records.get(key);
    if (record === undefined) throw notFound(key);
    return this.mountsOf(records, record);
  }

  async commit(name: string, key: string): Promise<void> {
    await this.driver();
    await this.exclusive(async () => {
      const records = await this.recordsWith(key);
      const record = records.get(key);
      if (record === undefined) throw notFound(key);
      if (record.kind !== 'active') {
        throw new KilnError('FAILED_PRECONDITION', `snapshot "${key}" is ${record.kind}; only an active snapshot can be committed`);
      }
      if (records.has(name)) throw new KilnError('ALREADY_EXISTS', `snapshot "${name}" already exists`);
      const { volatile: _mountedVolatile, ...kept } = record;
      const committed: SnapshotRecord = { ...kept, key: name, kind: 'committed' };
      // Not synced: its files never are (a step's writes stay in the page cache), so a synced
      // record would promise what the data cannot keep. A commit lost to a power cut leaves an
      // active snapshot, swept at the next start, and the step runs again.
      await writeRecord(join(this.dir, record.id), committed, { durable: false });
      await rm(join(this.dir, record.id, 'work'), { recursive: true, force: true });
      await this.changed(records, (all) => {
        all.delete(key);
        all.set(name, committed);
      });
    });
  }

  async remove(key: string): Promise<void> {
    await deleteHidden(await this.hide(key));
  }

  /**
   * Removes the snapshot for every reader, as remove() does, and returns the deletion of its
   * content under way, all of it asynchronous: a --rm container's teardown leaves it to finish
   * after the run's result. A process that dies before it ends leaves a temp dir for cleanup().
   */
  async removeDeferred(key: string): Promise<{ content: Promise<void> }> {
    return { content: removeTree(await this.hide(key)) };
  }

  /** Takes the snapshot's record and directory away from every reader; returns where the directory went. */
  private async hide(key: string): Promise<string> {
    await this.driver();
    return this.exclusive(async () => {
      const records = await this.recordsWith(key);
      const record = records.get(key);
      if (record === undefined) throw notFound(key);
      const children = [...records.values()].filter((r) => r.parent === key).map((r) => `"${r.key}"`);
      if (children.length > 0) {
        throw new KilnError('CONFLICT', `snapshot "${key}" cannot be removed: ${children.join(', ')} build on it`, {
          hint: 'remove the snapshots built on it first',
        });
      }
      // Gone for every reader once renamed away and counted.
      const doomed = await hideSnapshotDir(this.dir, record.id);
      await this.changed(records, (all) => all.delete(key));
      return doomed;
    });
  }

  /**
   * Where facts derived from a committed snapshot's content are kept (`name` is a plain file
   * name): they stay true as long as the snapshot exists, and go with it.
   */
  async derivedFile(key: string, name: string): Promise<string> {
    await this.driver();
    const record = await this.find(key, true);
    if (record === undefined) throw notFound(key);
    if (record.kind !== 'committed' || !/^[\w.-]+$/.test(name) || name === infoFileName) {
      throw new KilnError('INVALID_ARGUMENT', `cannot keep "${name}" beside snapshot "${key}"`);
    }
    return join(this.dir, record.id, name);
  }

  /**
   * The directory holding a committed or active snapshot's own content, for the differ: with
   * `full` false only its changes over the parent, in overlayfs's upper-dir format (whiteout
   * devices, opaque attributes); with `full` true (the copy fallback) the whole merged tree.
   */
  async contentDir(key: string): Promise<{ dir: string; full: boolean; parent?: string; packed?: LazyLayer }> {
    await this.driver();
    const record = await this.find(key, true);
    if (record === undefined) throw notFound(key);
    if (record.kind === 'view') throw new KilnError('FAILED_PRECONDITION', `snapshot "${key}" is a view and has no content of its own`);
    return {
      dir: this.fsOf(record.id), full: record.full,
      ...(record.parent === undefined ? {} : { parent: record.parent }),
      // Not on disk (yet): `dir` does not exist, and unpackChain would make it.
      ...(record.lazy === undefined || isUnpacked(this.dir, record) ? {} : { packed: record.lazy }),
    };
  }

  async stat(key: string): Promise<SnapshotInfo> {
    await this.driver();
    const record = await this.find(key, true);
    if (record === undefined) throw notFound(key);
    return infoOf(record);
  }

  /** The layer blob a committed snapshot was made from (commitLazy), unpacked since or not. */
  async layerOf(key: string): Promise<LazyLayer | undefined> {
    await this.driver();
    const record = await this.find(key, true);
    if (record === undefined) throw notFound(key);
    return record.lazy;
  }

  async list(): Promise<SnapshotInfo[]> {
    await this.driver();
    return (await readRecords(this.dir)).map(infoOf);
  }

  /** `confirmAbsence`: a miss is read again from disk before it is believed (see recordsWith). */
  private async find(key: string, confirmAbsence = false): Promise<SnapshotRecord | undefined> {
    return (await (confirmAbsence ? this.recordsWith(key) : this.records())).get(key);
  }

  /**
   * The records, from memory while the change counter is where it was when they were read. The
   * version is taken before the listing: a change made meanwhile counts after it (changes.ts).
   */
  private async records(): Promise<Map<string, SnapshotRecord>> {
    const version = await this.changes.version();
    if (this.cache !== undefined && sameVersion(this.cache.version, version)) return this.cache.records;
    const records = new Map((await readRecords(this.dir)).map((r) => [r.key, r]));
    this.cache = { records, version };
    return records;
  }

  /**
   * The records, read again from disk when `key` is not among those in memory: a writer killed
   * between its change and its count left a snapshot nobody counted, which `rm` must still find.
   */
  private async recordsWith(key: string): Promise<Map<string, SnapshotRecord>> {
    const records = await this.records();
    if (records.has(key)) return records;
    this.cache = undefined;
    return this.records();
  }

  /**
   * Counts a change made here and applies it to the records in memory, which stay current when
   * nobody else counted one meanwhile (else the next read finds the counter moved on by more).
   */
  private async changed(records: Map<string, SnapshotRecord>, apply: (records: Map<string, SnapshotRecord>) => void): Promise<void> {
    const cache = this.cache;
    await this.changes.count();
    apply(records);
    if (cache?.records === records && this.cache === cache) cache.version = { ...cache.version, size: cache.version.size + 1 };
    else this.cache = undefined;
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Ids of the committed snapshots whose fs dirs a mount of `key` shows, top first. */
  private chainOf(records: Map<string, SnapshotRecord>, key: string): string[] {
    const ids: string[] = [];
    for (const record of chainRecords(records, key)) {
      if (record.kind !== 'committed') {
        throw new KilnError('FAILED_PRECONDITION', `snapshot "${record.key}" is ${record.kind}; a parent must be committed`);
      }
      if (!isUnpacked(this.dir, record)) throw new KilnError('INTERNAL', `snapshot "${record.key}" is still a packed layer and cannot be mounted`);
      ids.push(record.id);
    }
    if (ids.length === 0) throw notFound(key);
    return ids;
  }

  private fsOf(id: string): string {
    return fsDir(this.dir, id);
  }

  private mountsOf(records: Map<string, SnapshotRecord>, record: SnapshotRecord): Mount[] {
    if (record.kind === 'committed') {
      throw new KilnError('FAILED_PRECONDITION', `snapshot "${record.key}" is committed and has no mounts`, {
        hint: 'mount a view of it instead',
      });
    }
    const readOnly = record.kind === 'view';
    const bind = (id: string, ro: boolean): Mount[] => [{ type: 'bind', source: this.fsOf(id), options: [ro ? 'ro' : 'rw', 'rbind'] }];
    if (record.full || record.parent === undefined) return bind(record.id, readOnly);
    const lowers = this.chainOf(records, record.parent);
    // overlayfs needs two lowers without an upper; one lower alone is its layer dir as it is.
    if (readOnly && lowers.length === 1) return bind(lowers[0] as string, true);
    const options = [`lowerdir=${lowers.map((id) => this.fsOf(id)).join(':')}`];
    if (readOnly) options.unshift('ro');
    else options.push(`upperdir=${this.fsOf(record.id)}`, `workdir=${join(this.dir, record.id, 'work')}`, ...(record.volatile === true ? ['volatile'] : []));
    if (Buffer.byteLength(options.join(',')) > maxMountData) {
      throw new KilnError('FAILED_PRECONDITION',
        `snapshot "${record.key}" stacks ${lowers.length} layers, more than one overlay mount can list under ${this.dir}`, {
          hint: 'use a shorter --root path or an image with fewer layers',
        });
    }
    return [{ type: 'overlay', source: 'overlay', options }];
  }
}
