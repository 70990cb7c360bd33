// Registry credentials from Docker's config.json, looked up the way docker/cli does: a
// registry's own credential helper (`credHelpers`) wins over the default helper
// (`credsStore`), which wins over the file's `auths`. Once a helper is configured for a
// registry its answer is final, as with docker: `auths` is not consulted as a fallback.
import { KilnError } from '../util/errors.js';
import { CredentialHelper } from './cred-helper.js';
import {
  decodeAuth, dockerConfigPath, encodeAuth, loadDockerConfig, updateConfigFile, type AuthEntry, type ConfigObject,
  type DockerConfig,
} from './config-file.js';

export interface Credential {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token: exchanged at the registry's token endpoint instead of a password. */
  identityToken?: string;
  /** A bearer token sent to the registry as is. */
  registryToken?: string;
}

export interface Keychain {
  resolve(registryHost: string): Promise<Credential | undefined>;
}

export interface DockerConfigKeychainOptions {
  configDir?: string;
  env?: NodeJS.ProcessEnv;
  helperTimeoutMs?: number;
}

/** Docker Hub's credentials live under the v1 index URL, whichever Hub name is asked for. */
export const dockerHubServerAddress = 'https://index.docker.io/v1/';
const dockerHubHosts = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

// A helper returns this user name when its secret is an identity token, not a password.
const tokenUsername = '<token>';

/** The host part of an `auths` key, which older docker versions wrote as a URL. */
export function convertToHostname(serverAddress: string): string {
  let rest = serverAddress;
  const scheme = rest.indexOf('://');
  if (scheme >= 0) rest = rest.slice(scheme + 3);
  const slash = rest.indexOf('/');
  return slash >= 0 ? rest.slice(0, slash) : rest;
}

/** The registry host a login's server address names; none (or a Docker Hub name) means Docker Hub. */
export function loginHost(server: string | undefined): string {
  if (server === undefined || server === '') return 'registry-1.docker.io';
  const host = convertToHostname(server);
  return dockerHubHosts.has(host) ? 'registry-1.docker.io' : host;
}

/** The key under which docker stores a registry's credential, and the URL its helpers receive. */
export function credentialServerAddress(registryHost: string): string {
  const host = convertToHostname(registryHost);
  return dockerHubHosts.has(host) ? dockerHubServerAddress : host;
}

function sameRegistry(serverAddress: string, key: string): boolean {
  if (key === serverAddress) return true;
  const host = convertToHostname(key);
  return serverAddress === dockerHubServerAddress ? dockerHubHosts.has(host) : host === serverAddress;
}

/** The exact key first, then any key that names the same registry in another spelling. */
function findKey<T>(entries: Record<string, T>, serverAddress: string): string | undefined {
  if (Object.hasOwn(entries, serverAddress)) return serverAddress;
  return Object.keys(entries).find((key) => sameRegistry(serverAddress, key));
}

export class DockerConfigKeychain implements Keychain {
  readonly configFile: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly helperTimeoutMs: number | undefined;

  constructor(options: DockerConfigKeychainOptions = {}) {
    this.env = options.env ?? process.env;
    this.configFile = dockerConfigPath({ configDir: options.configDir, env: this.env });
    this.helperTimeoutMs = options.helperTimeoutMs;
  }

  async resolve(registryHost: string): Promise<Credential | undefined> {
    const serverAddress = credentialServerAddress(registryHost);
    const config = await loadDockerConfig(this.configFile);
    const helper = this.helperFor(config, serverAddress);
    if (helper !== undefined) return fromHelper(await helper.get(serverAddress));
    const key = findKey(config.auths, serverAddress);
    const entry = key === undefined ? undefined : config.auths[key];
    return key === undefined || entry === undefined ? undefined : this.fromAuthEntry(entry, key);
  }

  /** Saves a credential for `kiln login`: through the registry's helper if any, else in `auths`. */
  async storeCredential(registryHost: string, credential: Credential): Promise<void> {
    const serverAddress = credentialServerAddress(registryHost);
    const helper = this.helperFor(await loadDockerConfig(this.configFile), serverAddress);
    if (helper !== undefined) {
      await helper.store({ serverURL: serverAddress, ...helperSecret(credential) });
      return;
    }
    await updateConfigFile(this.configFile, (raw) => {
      const auths = authsOf(raw);
      const previous = auths[serverAddress];
      auths[serverAddress] = { ...withoutCredentialFields(previous), ...authEntryOf(credential) };
    });
  }

  /** Forgets a registry's credential for `kiln logout`, in its helper and in `auths`. */
  async eraseCredential(registryHost: string): Promise<void> {
    const serverAddress = credentialServerAddress(registryHost);
    const config = await loadDockerConfig(this.configFile);
    const helper = this.helperFor(config, serverAddress);
    if (helper !== undefined) await helper.erase(serverAddress);
    if (!Object.keys(config.auths).some((key) => sameRegistry(serverAddress, key))) return;
    await updateConfigFile(this.configFile, (raw) => {
      const auths = authsOf(raw);
      for (const key of Object.keys(auths)) if (sameRegistry(serverAddress, key)) delete auths[key];
    });
  }

  private helperFor(config: DockerConfig, serverAddress: string): CredentialHelper | undefined {
    const key = findKey(config.credHelpers, serverAddress);
    const name = (key === undefined ? undefined : config.credHelpers[key]) ?? config.credsStore;
    if (name === undefined || name === '') return undefined;
    return new CredentialHelper(name, { env: this.env, timeoutMs: this.helperTimeoutMs, configFile: this.configFile });
  }

  private fromAuthEntry(entry: AuthEntry, key: string): Credential | undefined {
    const credential: Credential =
      entry.auth !== undefined ? decodeAuth(entry.auth, this.configFile, key) : pick(entry.username, entry.password);
    if (entry.identitytoken !== undefined) credential.identityToken = entry.identitytoken;
    if (entry.registrytoken !== undefined) credential.registryToken = entry.registrytoken;
    return Object.keys(credential).length === 0 ? undefined : credential;
  }
}

function pick(username: string | undefined, password: string | undefined): Credential {
  const credential: Credential = {};
  if (username !== undefined) credential.username = username;
  if (password !== undefined) credential.password = password;
  return credential;
}

function fromHelper(found: { username: string; secret: string } | undefined): Credential | undefined {
  if (found === undefined) return undefined;
  if (found.username === tokenUsername) return { identityToken: found.secret };
  return { username: found.username, password: found.secret };
}

function helperSecret(credential: Credential): { username: string; secret: string } {
  if (credential.identityToken !== undefined) return { username: tokenUsername, secret: credential.identityToken };
  return { username: requireUsername(credential), secret: credential.password ?? '' };
}

function requireUsername(credential: Credential): string {
  if (credential.username === undefined || credential.username === '') {
    throw new KilnError('INVALID_ARGUMENT', 'a credential to store needs a username or an identity token', {
      hint: 'pass --username, or log in with an identity token',
    });
  }
  return credential.username;
}

/** What `auths` holds for a credential: docker writes user and password only as `auth`. */
function authEntryOf(credential: Credential): AuthEntry {
  const entry: AuthEntry = {};
  if (credential.identityToken === undefined || credential.username !== undefined) {
    entry.auth = encodeAuth(requireUsername(credential), credential.password ?? '');
  }
  if (credential.identityToken !== undefined) entry.identitytoken = credential.identityToken;
  if (credential.registryToken !== undefined) entry.registrytoken = credential.registryToken;
  return entry;
}

/** Keeps fields such as `email` that other tools put in an entry, dropping the old secret. */
function withoutCredentialFields(entry: unknown): ConfigObject {
  if (typeof entry !== 'object' || entry === null) return {};
  const { auth: _a, username: _u, password: _p, identitytoken: _i, registrytoken: _r, ...rest } = entry as ConfigObject;
  return rest;
}

function authsOf(raw: ConfigObject): ConfigObject {
  if (typeof raw.auths !== 'object' || raw.auths === null) raw.auths = {};
  return raw.auths as ConfigObject;
}
