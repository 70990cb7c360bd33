// Docker's client configuration file (`config.json`), read the way docker/cli's configfile
// package reads it and written back without losing anything kiln does not understand: other
// tools (docker, buildx, compose) keep their own settings in the same file.
import { mkdir, open, readFile, realpath, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { KilnError } from '../util/errors.js';

/** One entry of `auths`, keyed by server address (a host or a URL such as Docker Hub's). */
export interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

export interface DockerConfig {
  auths: Record<string, AuthEntry>;
  /** Registry host → helper name: the `docker-credential-<name>` executable for that registry. */
  credHelpers: Record<string, string>;
  /** The helper for every registry without its own entry in `credHelpers`. */
  credsStore?: string;
}

export type ConfigObject = Record<string, unknown>;

const authEntryFields = ['auth', 'username', 'password', 'identitytoken', 'registrytoken'] as const;

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`; `configDir` overrides both. */
export function dockerConfigPath(options: { configDir?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const env = options.env ?? process.env;
  // An empty variable counts as unset, as it does for docker.
  const dir = options.configDir ?? (env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker'));
  return join(dir, 'config.json');
}

function malformed(file: string, what: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `malformed Docker config file ${file}: ${what}`, {
    hint: 'fix or remove the file; it is the JSON that "docker login" writes',
  });
}

function isObject(value: unknown): value is ConfigObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The file's top-level object, `{}` when it does not exist or is blank. A JSON syntax error is
 * reported by position only: V8's own message quotes the text around the error, and that text
 * may be a credential.
 */
export async function readConfigObject(file: string): Promise<ConfigObject> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new KilnError('UNAVAILABLE', `cannot read Docker config file ${file}: ${(err as Error).message}`);
  }
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const position = /position (\d+)/.exec((err as Error).message)?.[1];
    throw malformed(file, position === undefined ? 'not valid JSON' : `not valid JSON at ${lineColumn(text, Number(position))}`);
  }
  if (!isObject(value)) throw malformed(file, 'the top level is not a JSON object');
  return value;
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

/** Checks the fields kiln reads; everything else in the file is left to its other readers. */
export function parseDockerConfig(raw: ConfigObject, file: string): DockerConfig {
  return {
    auths: parseAuths(raw.auths, file),
    credHelpers: parseCredHelpers(raw.credHelpers, file),
    credsStore: parseOptionalString(raw.credsStore, file, '"credsStore"'),
  };
}

function parseAuths(value: unknown, file: string): Record<string, AuthEntry> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw malformed(file, '"auths" is not an object');
  const auths: Record<string, AuthEntry> = {};
  for (const [server, entry] of Object.entries(value)) {
    if (!isObject(entry)) throw malformed(file, `"auths" entry ${JSON.stringify(server)} is not an object`);
    const parsed: AuthEntry = {};
    for (const field of authEntryFields) {
      const text = parseOptionalString(entry[field], file, `field "${field}" of "auths" entry ${JSON.stringify(server)}`);
      if (text !== undefined && text !== '') parsed[field] = text;
    }
    auths[server] = parsed;
  }
  return auths;
}

function parseCredHelpers(value: unknown, file: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw malformed(file, '"credHelpers" is not an object');
  const helpers: Record<string, string> = {};
  for (const [server, helper] of Object.entries(value)) {
    if (typeof helper !== 'string') throw malformed(file, `"credHelpers" entry ${JSON.stringify(server)} is not a string`);
    helpers[server] = helper;
  }
  return helpers;
}

function parseOptionalString(value: unknown, file: string, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw malformed(file, `${what} is not a string`);
  return value;
}

export async function loadDockerConfig(file: string): Promise<DockerConfig> {
  return parseDockerConfig(await readConfigObject(file), file);
}

/** `auth` is base64("user:password"); the user may not be empty, the password may hold colons. */
export function decodeAuth(auth: string, file: string, server: string): { username: string; password: string } {
  const decoded = Buffer.from(auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(auth) || colon <= 0) {
    throw malformed(file, `the "auth" field of "auths" entry ${JSON.stringify(server)} is not base64 of "user:password"`);
  }
  // Docker trims NUL padding that some writers leave after the password.
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1).replace(/^\0+|\0+$/g, '') };
}

export function encodeAuth(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
}

// Writers in this process are serialised per file, so two logins at once do not lose an entry.
const pendingWrites = new Map<string, Promise<void>>();

/**
 * Read-modify-write of the whole file: `mutate` edits the parsed object in place, and the result
 * replaces the file atomically (temp file in the same directory, fsync, rename), mode 0600.
 * A symlinked config.json is written through to its target, as docker does.
 */
export async function updateConfigFile(file: string, mutate: (raw: ConfigObject) => void): Promise<void> {
  const previous = pendingWrites.get(file) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => rewrite(file, mutate));
  pendingWrites.set(file, next);
  try {
    await next;
  } finally {
    if (pendingWrites.get(file) === next) pendingWrites.delete(file);
  }
}

async function rewrite(file: string, mutate: (raw: ConfigObject) => void): Promise<void> {
  const raw = await readConfigObject(file);
  parseDockerConfig(raw, file);
  mutate(raw);
  const target = await resolveTarget(file);
  await mkdir(dirname(target), { recursive: true, mode: 0o700 });
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(raw, null, '\t')}\n`);
      await handle.chmod(0o600);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw new KilnError('UNAVAILABLE', `cannot write Docker config file ${file}: ${(err as Error).message}`, {
      hint: 'check that the directory exists and is writable',
    });
  }
}

async function resolveTarget(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return file;
    throw err;
  }
}
