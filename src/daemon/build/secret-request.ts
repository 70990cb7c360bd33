// The build request's `secrets` and `ssh` (src/api/build.ts), checked as they arrive: secrets
// become the bytes the build holds in memory (BuildKit's 500 KB limit each), ssh agents the
// sockets the steps' forwarders connect to.
import { isAbsolute } from 'node:path';
import { maxSecretSize } from '../../api/build.js';
import { KilnError } from '../../util/errors.js';

const base64 = /^[A-Za-z0-9+/]*={0,2}$/;

function invalid(field: string, what: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `build request: ${field} must be ${what}`);
}

function stringRecord(value: unknown, field: string, what: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string')) throw invalid(field, what);
  return value as Record<string, string>;
}

/** The request's secrets as given (base64 by id), checked. */
export function parseBuildSecrets(value: unknown): Record<string, string> | undefined {
  const secrets = stringRecord(value, 'secrets', 'an object of base64 strings');
  for (const [id, data] of Object.entries(secrets ?? {})) {
    // The id is named, never the value.
    if (id === '' || data.length % 4 !== 0 || !base64.test(data)) throw invalid(`secrets[${JSON.stringify(id)}]`, 'a base64 string under a non-empty id');
    if (Buffer.byteLength(data, 'base64') > maxSecretSize) throw invalid(`secrets[${JSON.stringify(id)}]`, `at most ${maxSecretSize} bytes`);
  }
  return secrets;
}

/** The request's ssh agent sockets by id, checked. */
export function parseBuildSsh(value: unknown): Record<string, string> | undefined {
  const agents = stringRecord(value, 'ssh', 'an object of socket paths');
  for (const [id, path] of Object.entries(agents ?? {})) {
    if (id === '' || !isAbsolute(path)) throw invalid(`ssh[${JSON.stringify(id)}]`, 'an absolute socket path under a non-empty id');
  }
  return agents;
}

/** The secrets as the build's steps read them. */
export function secretBytes(secrets: Record<string, string>): Map<string, Buffer> {
  return new Map(Object.entries(secrets).map(([id, data]) => [id, Buffer.from(data, 'base64')]));
}
