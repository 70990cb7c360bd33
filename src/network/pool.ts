// Network namespaces attached to the default bridge ahead of time. A run on the default network
// without published ports would otherwise wait some 60 ms for `ip netns add` and the CNI
// plugins before runc starts, and as long again for DEL after its end; a long-lived process
// (the daemon) keeps a few namespaces attached, hands one to a run at once, and releases used
// ones in the background, off the path of the next run.
//
// A pooled namespace is attached under an ID of its own (CNI container ID pool-<hex>, netns
// kiln-pool-<hex>), recorded in <root>/network/pool/<pool id>.json with the process that owns
// it. Taking one writes the container's endpoint record, which names that CNI container ID and
// namespace, so the container's release (from this process or any other) runs DEL with what
// ADD saw; the pool record goes afterwards. A namespace is used by one container only: a fresh
// one replaces it, as a container may leave sockets, routes or sysctls behind.
//
// The background work is held back briefly (settleMs): spawning `ip` and the plugins while a
// run starts or tears down costs that run about as much as the pool saves it, on a machine of
// two cores, in forks from this process and in CPU time.
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { completeEndpoint, newEndpointRecord, releaseEndpoint, releaseEndpointAt } from './attach.js';
import { networkEndpoints, type EndpointRecord } from './endpoints.js';
import { createJsonExclusive, readJsonDir } from './files.js';
import { networkPaths } from './paths.js';
import { NetworkStore } from './store.js';
import type { NetworkConfig } from './types.js';
import { KilnError } from '../util/errors.js';

export interface EndpointPoolOptions {
  /** Namespaces kept attached ahead of the runs that take them; 2 unless told. */
  size?: number;
  /** Whether a container is still recorded: recover() releases pooled endpoints of containers gone. */
  containerExists(containerId: string): Promise<boolean>;
  /**
   * How long background work (a refill after a take, a release) waits before it starts, so that
   * it runs after the run that asked for it rather than competing with that run's start or
   * teardown for the CPU and the event loop; 100 ms unless told.
   */
  settleMs?: number;
  /** Where failures of background work (refills, releases) go; a process warning unless told. */
  onError?: (err: unknown) => void;
}

/** A namespace handed to a container: what its spec and /etc/hosts need. */
export interface PooledEndpoint {
  netnsPath: string;
  ip: string;
  gateway: string;
  mac?: string;
}

interface PoolEntry extends EndpointRecord {
  /** "<pid>:<start time>" of the process whose pool holds the namespace (pids are reused). */
  owner: string;
}

/** "<pid>:<start time>" of a live process; undefined for one that has gone (or is a zombie). */
async function processIdentity(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  // Fields after the parenthesised command name: state is the first, starttime the 20th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  return state === 'Z' || state === 'X' ? undefined : `${pid}:${fields[19] ?? ''}`;
}

async function ownerAlive(owner: string): Promise<boolean> {
  const pid = Number(owner.split(':')[0]);
  return Number.isInteger(pid) && pid > 0 && (await processIdentity(pid)) === owner;
}

export class EndpointPool {
  private readonly ready: PoolEntry[] = [];
  private readonly draining = new Set<Promise<void>>();
  private filling: Promise<void> | undefined;
  private closing = false;
  /** Background work waiting out settleMs; close() ends the wait. */
  private readonly settling = new Set<() => void>();
  private readonly size: number;
  private readonly settleMs: number;
  private readonly onError: (err: unknown) => void;

  private constructor(
    private readonly root: string,
    private readonly network: NetworkConfig,
    private readonly owner: string,
    private readonly options: EndpointPoolOptions,
  ) {
    this.size = options.size ?? 2;
    this.settleMs = options.settleMs ?? 100;
    this.onError = options.onError ?? ((err) => process.emitWarning(`kiln endpoint pool: ${err instanceof Error ? err.message : String(err)}`));
  }

  /**
   * The pool of `root`'s default network: what a dead owner left is released first, then the
   * pool starts filling in the background (start does not wait for it).
   */
  static async start(root: string, options: EndpointPoolOptions): Promise<EndpointPool> {
    if (options.size !== undefined && !(Number.isInteger(options.size) && options.size >= 0)) {
      throw new KilnError('INVALID_ARGUMENT', `endpoint pool size must be a whole number, not ${options.size}`);
    }
    const [network, owner] = await Promise.all([new NetworkStore(root).ensureDefault(), processIdentity(process.pid)]);
    if (owner === undefined) throw new KilnError('INTERNAL', 'cannot read this process\'s own /proc entry');
    const pool = new EndpointPool(root, network, owner, options);
    await pool.recover();
    pool.refill('now');
    return pool;
  }

  /** Namespaces ready to be taken now. */
  get available(): number {
    return this.ready.length;
  }

  /**
   * Hands a ready namespace to `containerId`, now attached under its endpoint record; undefined
   * when none is ready (the caller attaches directly). A refill follows in the background.
   */
  async take(containerId: string, options: { hostname?: string } = {}): Promise<PooledEndpoint | undefined> {
    if (this.closing) return undefined;
    const entry = this.ready.shift();
    this.refill();
    if (entry === undefined) return undefined;
    const handover = this.handOver(entry, containerId, options.hostname);
    // close() waits for a handover under way, which may still have a pool record to remove.
    this.track(handover.catch(() => undefined));
    return handover;
  }

  private async handOver(entry: PoolEntry, containerId: string, hostname: string | undefined): Promise<PooledEndpoint> {
    const { owner: _owner, containerId: poolId, ...attached } = entry;
    const record: EndpointRecord = { ...attached, containerId, cniContainerId: poolId, ...(hostname === undefined ? {} : { hostname }) };
    const entryPath = networkPaths.poolEntry(this.root, poolId);
    let written: boolean;
    try {
      written = await createJsonExclusive(networkPaths.endpoint(this.root, this.network.name, containerId), record);
    } catch (err) {
      this.track(releaseEndpointAt(entryPath));
      throw err;
    }
    if (!written) {
      this.track(releaseEndpointAt(entryPath));
      throw new KilnError('CONFLICT', `container ${containerId.slice(0, 12)} is already attached to network ${this.network.name}`);
    }
    // The endpoint record owns the namespace now; a pool record outliving a crash here is
    // recognised as taken by recover().
    this.track(rm(entryPath, { force: true }));
    return {
      netnsPath: record.netnsPath, ip: record.ip ?? '', gateway: record.gateway ?? '',
      ...(record.mac === undefined ? {} : { mac: record.mac }),
    };
  }

  /** Releases the container's endpoint on this pool's network in the background (CNI DEL, netns del). */
  release(containerId: string): void {
    this.track(this.settle().then(() => releaseEndpoint(this.root, this.network.name, containerId)));
  }

  /** Resolves once no refill or release is under way (for tests and benchmarks). */
  async idle(): Promise<void> {
    while (this.filling !== undefined || this.draining.size > 0) {
      await Promise.all([this.filling, ...this.draining]);
    }
  }

  /** Stops refilling and releases every pooled namespace, waiting for releases under way too. */
  async close(): Promise<void> {
    this.closing = true;
    for (const done of [...this.settling]) done();
    await this.filling;
    for (const entry of this.ready.splice(0)) this.track(releaseEndpointAt(networkPaths.poolEntry(this.root, entry.containerId)));
    await this.idle();
  }

  /**
   * Releases what a process that died left behind: pool namespaces of owners that have gone
   * (a record of one already taken just goes: the endpoint record holds it), and pooled
   * endpoints whose container has been removed (a crash between its end and the release).
   */
  async recover(): Promise<void> {
    const [entries, endpoints] = await Promise.all([
      readJsonDir<PoolEntry>(networkPaths.pool(this.root)),
      networkEndpoints(this.root, this.network.name),
    ]);
    const taken = new Set(endpoints.map((endpoint) => endpoint.cniContainerId));
    const results = await Promise.allSettled([
      ...entries.map(async (entry) => {
        if (entry.owner === this.owner || (await ownerAlive(entry.owner))) return;
        const path = networkPaths.poolEntry(this.root, entry.containerId);
        await (taken.has(entry.containerId) ? rm(path, { force: true }) : releaseEndpointAt(path));
      }),
      ...endpoints.map(async (endpoint) => {
        if (endpoint.cniContainerId === undefined || (await this.options.containerExists(endpoint.containerId))) return;
        await releaseEndpoint(this.root, this.network.name, endpoint.containerId);
      }),
    ]);
    for (const result of results) if (result.status === 'rejected') this.onError(result.reason);
  }

  /** Starts filling up to size unless a fill is under way: one ADD at a time, none once closing. */
  private refill(start: 'now' | 'settled' = 'settled'): void {
    if (this.filling !== undefined || this.closing || this.ready.length >= this.size) return;
    this.filling = (start === 'now' ? Promise.resolve() : this.settle()).then(() => this.fill()).catch(this.onError).finally(() => {
      this.filling = undefined;
    });
  }

  /** Adds namespaces one by one; a failure stops the round (the next take starts another). */
  private async fill(): Promise<void> {
    while (!this.closing && this.ready.length < this.size) {
      const poolId = `pool-${randomBytes(8).toString('hex')}`;
      const entry: PoolEntry = { ...newEndpointRecord(this.root, this.network, poolId, []), owner: this.owner };
      const path = networkPaths.poolEntry(this.root, poolId);
      if (!(await createJsonExclusive(path, entry))) throw new KilnError('INTERNAL', `endpoint pool ID ${poolId} is in use`);
      this.ready.push(await completeEndpoint(path, entry, this.network));
    }
  }

  /** Resolves settleMs from now, or at once when the pool closes. */
  private settle(): Promise<void> {
    if (this.closing) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.settling.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.settleMs);
      this.settling.add(done);
    });
  }

  private track(work: Promise<unknown>): void {
    const tracked: Promise<void> = work.then(() => undefined, this.onError).finally(() => this.draining.delete(tracked));
    this.draining.add(tracked);
  }
}
