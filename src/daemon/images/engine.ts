// What the image commands work on: one store root with its blob store and image names, a
// registry client and the user's credentials. The daemon will hold one of these for its
// lifetime; until it exists the CLI opens one per command (in-process engine).
import { ImageStore } from '../../content/images.js';
import { LocalContentStore } from '../../content/store.js';
import type { EndpointPool } from '../../network/pool.js';
import type { RegistryClient } from '../../registry/client.js';
import { DockerConfigKeychain, type Keychain } from '../../registry/keychain.js';
import { OverlaySnapshotter } from '../../snapshot/snapshotter.js';
import { BackgroundWork } from '../../util/background.js';
import { defaultRoot } from '../../util/store-root.js';

export interface EngineOptions {
  /** The store root; default $KILN_ROOT, else /var/lib/kiln for root and ~/.local/share/kiln otherwise. */
  root?: string;
  /** Registries that may be reached over plain HTTP besides loopback ones. */
  insecureRegistries?: string[];
  /** Docker's config directory (config.json); default $DOCKER_CONFIG or ~/.docker. */
  configDir?: string;
}

export interface ImageEngine {
  readonly root: string;
  readonly content: LocalContentStore;
  readonly images: ImageStore;
  readonly keychain: DockerConfigKeychain;
  /**
   * The registry client, made on first use: loading it (undici and the transfer code) is most of
   * the start-up time of a command that never talks to a registry, such as a run of a local image.
   */
  registry(): Promise<RegistryClient>;
  /**
   * A registry client of its own that takes credentials from `keychain` (a Docker API request's
   * X-Registry-Auth in front of the engine's keychain), with the engine's registry settings.
   * The caller closes it.
   */
  registryFor(keychain: Keychain): Promise<RegistryClient>;
  /** Work left running by operations that returned (a --rm container's deletions); close() waits for it. */
  readonly background: BackgroundWork;
  close(): Promise<void>;
  /**
   * Network namespaces attached to the default bridge ahead of runs, set by a long-lived holder
   * of the engine (the daemon: startEndpointPool), which also closes it; none in a one-shot CLI.
   */
  endpointPool?: EndpointPool;
}

const snapshotters = new WeakMap<ImageEngine, OverlaySnapshotter>();

/**
 * The engine's one snapshotter, made on first use: it keeps the snapshot records in memory
 * between runs (and its driver probe and stale-dir cleanup happen once), so a long-lived
 * engine pays a stat per snapshot operation rather than a listing of the store.
 */
export function engineSnapshotter(engine: ImageEngine): OverlaySnapshotter {
  let snapshotter = snapshotters.get(engine);
  if (snapshotter === undefined) {
    snapshotter = new OverlaySnapshotter(engine.root, { content: engine.content });
    snapshotters.set(engine, snapshotter);
  }
  return snapshotter;
}

/** The storage driver's name as docker reports it (`docker info`, image inspect's GraphDriver). */
export async function driverName(engine: ImageEngine): Promise<string> {
  return (await engineSnapshotter(engine).driver()) === 'overlay' ? 'overlayfs' : 'copy';
}

/** `KILN_INSECURE_REGISTRIES=host:port,10.0.0.0/8`, the in-process stand-in for daemon.json's list. */
export function insecureRegistriesFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env['KILN_INSECURE_REGISTRIES'] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

export async function openEngine(options: EngineOptions = {}): Promise<ImageEngine> {
  const root = options.root ?? defaultRoot();
  const content = new LocalContentStore(root);
  // Ingests of writers killed mid-copy (kill -9) are dropped before anything else runs.
  await content.cleanupIngests();
  const keychain = new DockerConfigKeychain(options.configDir === undefined ? {} : { configDir: options.configDir });
  let registry: Promise<RegistryClient> | undefined;
  const insecureRegistries = options.insecureRegistries ?? insecureRegistriesFromEnv();
  const background = new BackgroundWork();
  return {
    root,
    content,
    images: new ImageStore(root),
    keychain,
    registry: () => (registry ??= import('../../registry/client.js').then(({ RegistryClient }) => new RegistryClient({ keychain, insecureRegistries }))),
    registryFor: async (own) => new (await import('../../registry/client.js')).RegistryClient({ keychain: own, insecureRegistries }),
    background,
    close: async () => {
      await background.settled();
      if (registry !== undefined) await (await registry).close();
    },
  };
}
