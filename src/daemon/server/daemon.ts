// kilnd's life: take the store root (one daemon per root), recover what a crash left (ingests,
// snapshotter temp dirs, containers whose supervisor died), then serve the API on a unix socket
// (mode 0660) until SIGTERM / SIGINT, with a pool of network namespaces ready on the default
// bridge. Shutdown stops accepting, kills the containers run here for attached clients (they are
// torn down as usual), releases the pool, and removes the socket and the pid file.
// An embedded daemon, started by the CLI, also ends when its root directory disappears, so a
// test that deletes its temporary root cannot leak a daemon.
import { statSync } from 'node:fs';
import { chmod, mkdir, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { dirname } from 'node:path';
import { resolveDaemonAddress, type DaemonAddress } from '../../api/host.js';
import { KilnError } from '../../util/errors.js';
import { kilnVersion } from '../../util/version.js';
import { listContainers } from '../containers/list.js';
import { startEndpointPool } from '../containers/network.js';
import type { ContainerRecord } from '../containers/record.js';
import { ContainerStore } from '../containers/store.js';
import { engineSnapshotter, openEngine, type ImageEngine } from '../images/engine.js';
import { Router, sendJson } from './http.js';
import { errorMessage, jsonLogger, type Logger } from './logger.js';
import { claimRoot, releaseRoot, removeStaleSocket } from './ownership.js';
import { removeInterruptedSteps } from '../build/index.js';
import { defaultKeepStorage, enableCacheGc } from '../build/index.js';
import { buildRoutes } from './build-route.js';
import { pruneRoutes } from './prune-route.js';
import { imageRoutes } from './image-routes.js';
import { containerRoutes, ForegroundRuns } from './run-route.js';
import { nativeExecRoutes } from './exec-route.js';
import { dockerContainerRoutes } from './docker-containers.js';
import { SupervisedRuns } from './supervised-runs.js';
import { nativeContainerRoutes } from './container-routes.js';
import { nativeNetworkRoutes } from './network-routes.js';
import { nativeVolumeRoutes } from './volume-routes.js';
import { dockerBuildRoutes } from './docker-build.js';
import { dockerHeaders, dockerSystemRoutes } from './docker-system.js';
import { dockerImageRoutes } from './docker-images.js';
import { listenTcp, parseTcpHost, readTlsFiles, tlsServer, type TcpAddress, type TlsFiles } from './tcp-listener.js';

export interface DaemonOptions {
  host?: string;
  root?: string;
  debug?: boolean;
  /** Started by the CLI: also exit once the root directory is gone. */
  embedded?: boolean;
  /** The build cache's size cap in bytes (--gc-keep-storage); default defaultKeepStorage(). */
  gcKeepStorage?: number;
  /** `tcp://ADDR:PORT` hosts to listen on as well, each with mutual TLS (tcp-listener.ts). */
  tcpHosts?: string[];
  tls?: Partial<TlsFiles>;
}

export const apiVersion = '1';
const rootWatchMs = 2000;
const shutdownGraceMs = 5000;
/**
 * Request heads larger than this are refused (431). No time limit on receiving a request: a
 * build context or an image to load is streamed up for as long as it takes.
 */
const serverLimits = { maxHeaderSize: 16 << 10, requestTimeout: 0 };

/**
 * Calls `gone` once the root directory is removed. The directory's inode is compared, not only
 * its path: work still under way when the root is deleted (the endpoint pool's refill) may
 * create the path again, and the daemon must not go on serving that.
 */
function watchRoot(root: string, gone: () => void): void {
  const started = statSync(root).ino;
  setInterval(() => {
    stat(root).then((now) => now.ino !== started, () => true).then((removed) => removed && gone(), () => undefined);
  }, rootWatchMs).unref();
}

/**
 * What a crash (kill -9 of a daemon or a CLI) may have left half-done; the containers, their
 * states reconciled with what still runs.
 */
async function recover(engine: ImageEngine, log: Logger): Promise<ContainerRecord[]> {
  const removed = await engineSnapshotter(engine).cleanup();
  const removedContainers = await new ContainerStore(engine.root).removeStaleTempDirs();
  const interruptedSteps = await removeInterruptedSteps(engine);
  const containers = await listContainers(engine);
  log.info('recovered', { snapshotTempDirs: removed.length, containerTempDirs: removedContainers, interruptedBuildSteps: interruptedSteps, containers: containers.length });
  return containers;
}

/** Every route the daemon serves: the native API, then the Docker Engine API's. */
export function routes(log: Logger, engine: ImageEngine, runs: ForegroundRuns, supervised = new SupervisedRuns(engine, runs)): Router {
  const router = new Router(log, dockerHeaders())
    .on('GET', /^\/kiln\/v1\/version$/, async (_ctx, res) => sendJson(res, 200, { version: kilnVersion(), apiVersion }));
  dockerSystemRoutes(router, engine);
  dockerImageRoutes(router, engine);
  containerRoutes(router, engine, runs, supervised);
  nativeExecRoutes(router, engine);
  dockerContainerRoutes(router, engine, runs, supervised);
  nativeContainerRoutes(router, engine, runs, supervised);
  nativeVolumeRoutes(router, engine);
  nativeNetworkRoutes(router, engine);
  buildRoutes(router, engine, runs);
  dockerBuildRoutes(router, engine, runs);
  pruneRoutes(router, engine);
  imageRoutes(router, engine);
  return router;
}

async function listen(server: Server, socketPath: string): Promise<void> {
  await removeStaleSocket(socketPath);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(socketPath, 0o660);
}

/** Resolves once the daemon has shut down; the process's exit status. */
export async function runDaemon(options: DaemonOptions): Promise<number> {
  const log = jsonLogger({ debug: options.debug === true });
  // Handlers first: a SIGTERM while starting must not kill the daemon with its pid file in place.
  // It is kept and acted on once the daemon serves, through the one shutdown path.
  let stop: ((reason: string) => void) | undefined;
  let stopRequested: string | undefined;
  const onSignal = (signal: NodeJS.Signals) => (): void => {
    if (stop === undefined) stopRequested ??= signal;
    else stop(signal);
  };
  process.on('SIGTERM', onSignal('SIGTERM'));
  process.on('SIGINT', onSignal('SIGINT'));
  let address: DaemonAddress;
  let tcp: { addresses: TcpAddress[]; tls: Awaited<ReturnType<typeof readTlsFiles>> } | undefined;
  try {
    const tcpHosts = (options.tcpHosts ?? []).map(parseTcpHost);
    if (tcpHosts.length > 0) tcp = { addresses: tcpHosts, tls: await readTlsFiles(options.tls ?? {}) };
    address = resolveDaemonAddress({ ...(options.host === undefined ? {} : { host: options.host }), ...(options.root === undefined ? {} : { root: options.root }) });
    await mkdir(address.root, { recursive: true });
    await mkdir(dirname(address.socketPath), { recursive: true });
    await claimRoot(address.root);
  } catch (err) {
    log.error(errorMessage(err), err instanceof KilnError && err.hint !== undefined ? { hint: err.hint } : {});
    return 1;
  }
  const { root, socketPath } = address;
  const runs = new ForegroundRuns();
  const server = createServer(serverLimits);
  const tcpServers = (tcp?.addresses ?? []).map((tcpAddress) => ({ address: tcpAddress, server: tlsServer(tcp!.tls, serverLimits) }));
  let engine: ImageEngine | undefined;
  let supervised: SupervisedRuns | undefined;
  let containers: ContainerRecord[] = [];
  try {
    engine = await openEngine({ root });
    enableCacheGc(engine, { keepStorage: options.gcKeepStorage ?? await defaultKeepStorage(root) });
    containers = await recover(engine, log);
    // Namespaces attached to the default bridge ahead of runs: a run takes one instead of
    // waiting for the CNI plugins.
    engine.endpointPool = await startEndpointPool(root, { onError: (err) => log.warn('endpoint pool', { error: errorMessage(err) }) });
    supervised = new SupervisedRuns(engine, runs);
    const router = routes(log, engine, runs, supervised);
    router.attach(server);
    for (const listener of tcpServers) router.attach(listener.server);
    await listen(server, socketPath);
    for (const listener of tcpServers) await listenTcp(listener.server, listener.address);
  } catch (err) {
    log.error(`cannot start: ${errorMessage(err)}`);
    await engine?.endpointPool?.close().catch(() => undefined);
    for (const listener of tcpServers) listener.server.close();
    await releaseRoot(root);
    return 1;
  }
  const tcpListening = tcpServers.map(({ address: { host, port } }) => `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`);
  // Containers whose restart policy brings them back with the daemon (restart-policy.ts).
  void supervised?.restartWithDaemon(containers)
    .catch((err: unknown) => log.warn('restarting containers', { error: errorMessage(err) }));
  log.info('listening', { socket: socketPath, ...(tcpListening.length === 0 ? {} : { tcp: tcpListening.join(' ') }), root, pid: process.pid, version: kilnVersion() });
  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = async (reason: string): Promise<void> => {
      if (stopping) return;
      stopping = true;
      log.info('shutting down', { reason });
      const closed = Promise.all([server, ...tcpServers.map((listener) => listener.server)].map((each) => new Promise<void>((done) => each.close(() => done()))));
      await runs.stopAll();
      await engine?.endpointPool?.close().catch((err: unknown) => log.warn('endpoint pool', { error: errorMessage(err) }));
      server.closeIdleConnections();
      for (const listener of tcpServers) listener.server.closeIdleConnections();
      await Promise.race([closed, new Promise((done) => setTimeout(done, shutdownGraceMs).unref())]);
      server.closeAllConnections();
      for (const listener of tcpServers) listener.server.closeAllConnections();
      await engine?.close().catch(() => undefined);
      await rm(socketPath, { force: true }).catch(() => undefined);
      await releaseRoot(root).catch(() => undefined);
      log.info('stopped');
      resolve(0);
    };
    stop = (reason) => void shutdown(reason);
    if (stopRequested !== undefined) stop(stopRequested);
    if (options.embedded === true) watchRoot(root, () => void shutdown('store root removed'));
  });
}
