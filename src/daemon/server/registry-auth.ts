// The credentials a Docker API request brings for registries (engine-api.md §3.9, trap 14).
// The docker CLI keeps logins itself and sends them with each request: `X-Registry-Auth` on
// pull and push is one AuthConfig (`e30=` = `{}`, anonymous), `X-Registry-Config` on build is a
// map from registry address to AuthConfig; both are base64url (or plain base64) JSON. They are
// the only credentials a request is served with, as with dockerd, which keeps none: a registry
// they name nothing for is reached anonymously (and kiln's own CLI sends its logins the same way).
//
// Nothing here logs: the decoded secrets live only in the request's keychain and client.
import type { IncomingMessage } from 'node:http';
import type { RegistryClient } from '../../registry/client.js';
import { credentialServerAddress, type Credential, type Keychain } from '../../registry/keychain.js';
import { KilnError } from '../../util/errors.js';
import type { ImageEngine } from '../images/engine.js';

/** A request's credential for a registry host, when it brought one. */
export type RequestCredentials = (registryHost: string) => Credential | undefined;

const noCredentials: RequestCredentials = () => undefined;

function invalidHeader(name: string, why: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `invalid ${name} header: ${why}`, {
    hint: 'the header is base64url-encoded JSON, as the docker CLI sends it',
  });
}

function headerText(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

/** The header's JSON; null and {} (what an anonymous client sends) come back as undefined. */
function decodeHeader(name: string, text: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) throw invalidHeader(name, 'not base64');
  let parsed: unknown;
  try {
    // Node's base64 decoder takes the URL-safe alphabet too.
    parsed = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
  } catch {
    throw invalidHeader(name, 'not base64 of a JSON document');
  }
  if (parsed === null) return undefined;
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw invalidHeader(name, 'not a JSON object');
  return Object.keys(parsed).length === 0 ? undefined : (parsed as Record<string, unknown>);
}

function stringField(config: Record<string, unknown>, key: string, header: string): string | undefined {
  const value = config[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw invalidHeader(header, `"${key}" is not a string`);
  return value;
}

/** An AuthConfig as the CLI fills it: user and password, or `auth` = base64(user:password), or tokens. */
function credentialOf(config: Record<string, unknown>, header: string): Credential | undefined {
  const credential: Credential = {};
  let username = stringField(config, 'username', header);
  let password = stringField(config, 'password', header);
  const auth = stringField(config, 'auth', header);
  if (username === undefined && auth !== undefined) {
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw invalidHeader(header, '"auth" is not base64 of "user:password"');
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  if (username !== undefined) credential.username = username;
  if (password !== undefined) credential.password = password;
  const identityToken = stringField(config, 'identitytoken', header);
  if (identityToken !== undefined) credential.identityToken = identityToken;
  const registryToken = stringField(config, 'registrytoken', header);
  if (registryToken !== undefined) credential.registryToken = registryToken;
  return Object.keys(credential).length === 0 ? undefined : credential;
}

/**
 * X-Registry-Auth of a pull or push: its credential is for the registry of the image the
 * request names (`registryHost`), whatever `serveraddress` says, as dockerd uses it.
 */
export function registryAuthCredentials(req: IncomingMessage, registryHost: string): RequestCredentials {
  const text = headerText(req, 'X-Registry-Auth');
  const config = text === undefined ? undefined : decodeHeader('X-Registry-Auth', text);
  const credential = config === undefined ? undefined : credentialOf(config, 'X-Registry-Auth');
  if (credential === undefined) return noCredentials;
  const address = credentialServerAddress(registryHost);
  return (host) => (credentialServerAddress(host) === address ? credential : undefined);
}

/** X-Registry-Config of a build: a credential per registry address (`host`, `https://host/v1/`). */
export function registryConfigCredentials(req: IncomingMessage): RequestCredentials {
  const text = headerText(req, 'X-Registry-Config');
  const config = text === undefined ? undefined : decodeHeader('X-Registry-Config', text);
  if (config === undefined) return noCredentials;
  const byAddress = new Map<string, Credential>();
  for (const [address, entry] of Object.entries(config)) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalidHeader('X-Registry-Config', `the entry for ${JSON.stringify(address)} is not an object`);
    const credential = credentialOf(entry as Record<string, unknown>, 'X-Registry-Config');
    if (credential !== undefined) byAddress.set(credentialServerAddress(address), credential);
  }
  return (host) => byAddress.get(credentialServerAddress(host));
}

/** The request's credentials as a keychain: nothing more. */
export function requestKeychain(own: RequestCredentials): Keychain {
  return { resolve: async (host) => own(host) };
}

/** A registry client with `keychain`'s credentials, made on first use; close() closes it if it was. */
export interface RequestRegistry {
  get(): Promise<RegistryClient>;
  close(): Promise<void>;
}

export function requestRegistry(engine: ImageEngine, keychain: Keychain): RequestRegistry {
  let client: Promise<RegistryClient> | undefined;
  return {
    get: () => (client ??= engine.registryFor(keychain)),
    close: async () => {
      if (client !== undefined) await (await client).close();
    },
  };
}

/** Runs `work` with a registry client of the request's own, closed however it ends. */
export async function withRequestRegistry<T>(engine: ImageEngine, own: RequestCredentials, work: (registry: RegistryClient) => Promise<T>): Promise<T> {
  const registry = await engine.registryFor(requestKeychain(own));
  try {
    return await work(registry);
  } finally {
    await registry.close();
  }
}

