// `run`, in-process: find (or pull) the image, record the container, unpack the image's layers
// into committed snapshots, prepare an active snapshot keyed by the container id, mount it at
// `<root>/containers/<id>/rootfs`, write the /etc files, build the spec and run it to the end
// with runc. Whatever happens after the mount, the rootfs is unmounted again; with autoRemove
// the snapshot and the record go too. The container's exit code is the result.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { buildSpec, readUserDatabase, resolveUserIn, runcRun, writeEtcFiles, type RootMount, type RunIO, type UserDatabase } from '../../executor/index.js';
import { mountAll, unmountAll, type Mount } from '../../snapshot/mount.js';
import type { OverlaySnapshotter } from '../../snapshot/snapshotter.js';
import { KilnError } from '../../util/errors.js';
import { engineSnapshotter, type ImageEngine } from '../images/engine.js';
import type { LocalImage } from '../images/local.js';
import { localOrPulled } from './image.js';
import { imageUserDatabase } from './image-users.js';
import { JsonFileLog, logPathOf } from './log-file.js';
import { anonymousVolumes, containerMounts, imageVolumeMounts, parseContainerMounts, resolveMounts, type MountPoint } from './mounts.js';
import { validateName } from './names.js';
import { containerProcess, type ProcessOptions } from './process.js';
import { containerLimits, type ResourceOptions } from './resources.js';
import { checkRestartWithAutoRemove, parseRestartPolicy, type RestartPolicy } from './restart-policy.js';
import { runcRootOf } from './reconcile.js';
import { alongside, attachContainer, releaseContainerNetwork, resolveRunNetwork, type RunNetwork } from './network.js';
import type { ContainerRecord, ContainerState } from './record.js';
import { ContainerStore } from './store.js';
import { removeAnonymousVolumes } from '../volumes/commands.js';

export interface RunOptions extends ProcessOptions, ResourceOptions {
  image: string;
  name?: string;
  /** none, host, bridge (the default) or a user network's name or ID. */
  network?: string;
  /** -p specs: `[IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`. */
  publish?: string[];
  autoRemove?: boolean;
  /** Attach io.stdin (docker's -i). */
  interactive?: boolean;
  tty?: boolean;
  /** -v specs: `[SOURCE:]DESTINATION[:MODE]`. */
  volumes?: string[];
  /** --mount specs: `type=bind|volume,source=..,target=..[,readonly]`. */
  mounts?: string[];
  /** --label, over the image's labels. */
  labels?: Record<string, string>;
  /** --expose, beside the image's EXPOSE: "80/tcp" or "80". */
  exposedPorts?: string[];
  /** docker's StdinOnce (record.ts). */
  stdinOnce?: boolean;
  /** --restart: `no`, `always`, `unless-stopped` or `on-failure[:N]` (restart-policy.ts). */
  restart?: string;
}

/** --restart, checked against --rm; undefined for `no`. */
function restartPolicyOf(options: RunOptions): RestartPolicy | undefined {
  const policy = options.restart === undefined ? undefined : parseRestartPolicy(options.restart);
  checkRestartWithAutoRemove(policy, options.autoRemove ?? false);
  return policy?.name === 'no' ? undefined : policy;
}

/** The image's labels and exposed ports with the run's on top, docker's Config.Labels and Config.ExposedPorts. */
function imageMetadata(image: LocalImage, options: RunOptions): Pick<ContainerRecord['config'], 'labels' | 'exposedPorts'> {
  const labels = { ...image.config.config?.Labels, ...options.labels };
  const ports = [...Object.keys(image.config.config?.ExposedPorts ?? {}), ...(options.exposedPorts ?? [])].map((port) => (port.includes('/') ? port : `${port}/tcp`));
  const exposedPorts = [...new Set(ports)];
  return { ...(Object.keys(labels).length === 0 ? {} : { labels }), ...(exposedPorts.length === 0 ? {} : { exposedPorts }) };
}

/**
 * The container's process could not be started: docker exits 127 when the command was not
 * found and 126 when it could not be run, rather than its own 125.
 */
export class ContainerStartError extends KilnError {
  readonly exitStatus: 126 | 127;

  constructor(cause: KilnError) {
    super(cause.code, cause.message, { cause, ...(cause.hint === undefined ? {} : { hint: cause.hint }) });
    this.exitStatus = cause.code === 'NOT_FOUND' ? 127 : 126;
  }
}

async function createRecord(store: ContainerStore, image: LocalImage, options: RunOptions, network: RunNetwork, mounts: MountPoint[]): Promise<ContainerRecord> {
  const proc = containerProcess(image.config, options);
  const name = options.name === undefined ? undefined : validateName(options.name);
  const restartPolicy = restartPolicyOf(options);
  return store.create({
    id: store.newId(),
    image: options.image,
    imageId: image.id,
    created: new Date().toISOString(),
    config: { ...proc, ...containerLimits(options, image.config.config?.StopSignal), network: network.network, ...(network.ports.length === 0 ? {} : { ports: network.ports }), autoRemove: options.autoRemove ?? false, openStdin: options.interactive ?? false, ...(options.stdinOnce === true ? { stdinOnce: true } : {}), ...(options.tty === true ? { tty: true } : {}), ...(mounts.length === 0 ? {} : { mounts }), ...(restartPolicy === undefined ? {} : { restartPolicy }), ...imageMetadata(image, options) },
    state: { status: 'created' },
  }, name, { durable: !(options.autoRemove ?? false) });
}

async function setState(store: ContainerStore, record: ContainerRecord, state: ContainerState): Promise<ContainerRecord> {
  const next = { ...record, state };
  await store.write(next, { durable: false });
  return next;
}

interface RunContext {
  engine: ImageEngine;
  store: ContainerStore;
  snapshotter: OverlaySnapshotter;
  image: LocalImage;
  /**
   * Whether anything may be mounted under the rootfs dir: only when prepareRootfs mounted it, or
   * did not get to say. Teardown then skips reading mountinfo for the usual run, which mounts nothing.
   */
  mayHaveMounts: boolean;
}

/**
 * The container's own snapshot: new on its first start; on a later one (docker start of an
 * exited container) the one it had, with what it wrote there.
 */
async function activeSnapshot(snapshotter: OverlaySnapshotter, id: string, parent: string | undefined): Promise<Mount[]> {
  try {
    return await snapshotter.prepare(id, parent);
  } catch (err) {
    if (err instanceof KilnError && err.code === 'ALREADY_EXISTS') return snapshotter.mounts(id);
    throw err;
  }
}

interface PreparedRootfs {
  rootfs: string;
  rootMount?: RootMount;
  users: UserDatabase;
}

/**
 * The container's active snapshot, as runc will see it. Usually nothing is mounted here: runc
 * mounts the overlay inside the container (or the copy driver's directory is the rootfs as
 * it stands), and the user database comes from what is kept per image. Volumes are the
 * exception: a new volume is filled from the image's content, so the rootfs is mounted here.
 */
async function prepareRootfs(context: RunContext, record: ContainerRecord, signal?: AbortSignal): Promise<PreparedRootfs> {
  const { engine, store, snapshotter, image } = context;
  const layers = image.manifest.layers;
  const parent = layers.length === 0 ? undefined : await snapshotter.unpack(engine.content, layers, image.config.rootfs.diff_ids, signal);
  const rootfs = store.rootfsDir(record.id);
  const fillsVolumes = (record.config.mounts ?? []).some((mount) => mount.type === 'volume');
  // The image's users are looked up while the snapshot is made, unless they are read from the
  // mounted rootfs. The first lookup mounts a view under the rootfs dir and undoes it itself.
  mkdirSync(rootfs, { recursive: true });
  const [mounts, imageUsers] = await alongside(
    activeSnapshot(snapshotter, record.id, parent),
    fillsVolumes || parent === undefined ? Promise.resolve(undefined) : imageUserDatabase(snapshotter, parent, rootfs),
  );
  const [only] = mounts;
  if (fillsVolumes || mounts.length !== 1 || only === undefined || (only.type !== 'overlay' && only.type !== 'bind')) {
    await mountAll(mounts, rootfs);
    return { rootfs, users: await readUserDatabase(rootfs) };
  }
  const users = imageUsers ?? {};
  context.mayHaveMounts = false;
  return only.type === 'bind' ? { rootfs: only.source, users } : { rootfs, rootMount: only, users };
}

async function start(context: RunContext, created: ContainerRecord, io: RunIO, signal?: AbortSignal): Promise<number> {
  const { store } = context;
  const { id, config } = created;
  const hostname = id.slice(0, 12);
  // The rootfs on one side; the network and the /etc files that name its address on the other.
  const [{ rootfs, rootMount, users }, { network, etc }] = await alongside(
    prepareRootfs(context, created, signal),
    attachContainer(context.engine.root, created, context.engine.endpointPool).then(async (networking) => ({
      network: networking.mode,
      etc: await writeEtcFiles({
        dir: store.containerDir(id), hostname, network: networking.mode, extraHosts: networking.extraHosts,
        ...(networking.address === undefined ? {} : { address: networking.address }),
      }),
    })),
  );
  const user = resolveUserIn(config.user, users.passwd, users.group);
  const spec = buildSpec({
    process: { args: [...config.entrypoint, ...config.cmd], env: config.env, cwd: config.workingDir, user: config.user, tty: config.tty ?? false },
    rootfs, hostname, network, ...(rootMount === undefined ? {} : { rootMount }),
    ...(config.memoryBytes === undefined ? {} : { memoryBytes: config.memoryBytes }),
    ...(config.cpus === undefined ? {} : { cpus: config.cpus }),
    mounts: containerMounts(etc, await resolveMounts(context.engine.root, rootfs, config.mounts ?? [])),
  }, user);
  // A start clears a stop by hand; the count of restarts is the restart policy's to keep.
  const { restartCount } = created.state;
  const record = await setState(store, created, { status: 'running', pid: process.pid, startedAt: new Date().toISOString(), ...(restartCount === undefined ? {} : { restartCount }) });
  const { stdin, ...output } = io;
  const runIO: RunIO = config.openStdin && stdin !== undefined ? io : output;
  let exitCode: number;
  try {
    ({ exitCode } = await runcRun({
      id, bundleDir: join(store.containerDir(id), 'bundle'), spec, io: runIO, runcRoot: runcRootOf(context.engine.root), keepBundle: config.autoRemove,
      ...(signal === undefined ? {} : { signal }),
    }));
  } catch (err) {
    const failure = err instanceof KilnError && (err.code === 'NOT_FOUND' || err.code === 'DENIED') ? new ContainerStartError(err) : err;
    // docker leaves a container that never started "Created", with the status it would have had.
    await setState(store, record, {
      status: 'created', ...(failure instanceof ContainerStartError ? { exitCode: failure.exitStatus } : {}),
      error: err instanceof Error ? err.message : String(err),
    });
    throw failure;
  }
  const { pid: _supervisor, ...started } = record.state;
  // Written even when --rm removes the record next: `kiln wait` in another process may read it.
  await setState(store, record, { ...started, status: 'exited', exitCode, finishedAt: new Date().toISOString() });
  return exitCode;
}

/**
 * Releases the network and unmounts (when anything may be mounted) always, side by side; with
 * autoRemove, removes the snapshot, then the container, once nothing is mounted or attached.
 * Each goes for every reader at once (renamed away); deleting their files is the engine's
 * background work, which the run's result does not wait for: on this path a deletion costs more
 * than everything else the engine does after the container's exit.
 */
async function teardown({ engine, store, snapshotter, mayHaveMounts }: RunContext, record: ContainerRecord): Promise<void> {
  await alongside(releaseContainerNetwork(engine.root, record, engine.endpointPool), (async () => {
    if (mayHaveMounts) await unmountAll(store.rootfsDir(record.id));
    if (!record.config.autoRemove) return;
    // The snapshot first: a container without one (a crash in between) is still removed by `rm`.
    const snapshot = await snapshotter.removeDeferred(record.id).catch((err: unknown) => {
      if (!(err instanceof KilnError && err.code === 'NOT_FOUND')) throw err;
      return undefined;
    });
    if (snapshot !== undefined) engine.background.add(`deleting the snapshot of container ${record.id}`, snapshot.content);
  })());
  if (!record.config.autoRemove) return;
  engine.background.add(`deleting the files of container ${record.id}`, store.removeDeferred(record).files);
  await removeAnonymousVolumes(engine.root, anonymousVolumes(record.config.mounts));
}

/** Checks the options, finds (or pulls) the image and records the container, not started yet. */
export async function createContainer(
  engine: ImageEngine, options: RunOptions, stderr: Writable, signal?: AbortSignal,
): Promise<{ record: ContainerRecord; image: LocalImage }> {
  containerLimits(options); // bad flags fail before any pull
  restartPolicyOf(options);
  const mounts = await parseContainerMounts(options);
  const network = await resolveRunNetwork(engine.root, options.network ?? 'bridge', options.publish ?? []);
  const image = await localOrPulled(engine, options.image, stderr, signal);
  const all = [...mounts, ...imageVolumeMounts(image.config.config?.Volumes, mounts)];
  return { record: await createRecord(new ContainerStore(engine.root), image, options, network, all), image };
}

/** Runs a created container to its end, its output also kept in its json log, then tears down. */
export async function startContainer(engine: ImageEngine, image: LocalImage, record: ContainerRecord, io: RunIO, signal?: AbortSignal): Promise<number> {
  const store = new ContainerStore(engine.root);
  const context: RunContext = { engine, store, snapshotter: engineSnapshotter(engine), image, mayHaveMounts: true };
  const log = new JsonFileLog(logPathOf(store.containerDir(record.id), record.id));
  const logged: RunIO = { ...io, stdout: log.tee('stdout', io.stdout), stderr: log.tee('stderr', io.stderr) };
  let exitCode: number | undefined;
  let failure: unknown;
  try {
    exitCode = await start(context, record, logged, signal);
  } catch (err) {
    failure = err;
  }
  try {
    await log.close();
    await teardown(context, record);
  } catch (err) {
    failure ??= err;
  }
  if (failure !== undefined || exitCode === undefined) throw failure;
  return exitCode;
}

export async function runContainer(engine: ImageEngine, options: RunOptions, io: RunIO, signal?: AbortSignal): Promise<number> {
  const { record, image } = await createContainer(engine, options, io.stderr, signal);
  return startContainer(engine, image, record, io, signal);
}
