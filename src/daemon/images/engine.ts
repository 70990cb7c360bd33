// What the image commands work on: one store root with its blob store and image names, a
// registry client and the user's credentials. The daemon will hold one of these for its
// lifetime; until it exists the CLI opens one per command (in-process engine).
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ImageStore, LocalContentStore } from '../../content/index.js';
import { DockerConfigKeychain, RegistryClient } from '../../registry/index.js';

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
  readonly registry: RegistryClient;
  close(): Promise<void>;
}

export function defaultRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env['KILN_ROOT'] !== undefined && env['KILN_ROOT'] !== '') return env['KILN_ROOT'];
  return process.getuid?.() === 0 ? '/var/lib/kiln' : join(env['XDG_DATA_HOME'] ?? join(homedir(), '.local', 'share'), 'kiln');
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
  const registry = new RegistryClient({
    keychain,
    insecureRegistries: options.insecureRegistries ?? insecureRegistriesFromEnv(),
  });
  return {
    root,
    content,
    images: new ImageStore(root),
    keychain,
    registry,
    close: () => registry.close(),
  };
}
