// The checks on what a native image request brings (src/api/images.ts): every body is a JSON
// object of known fields with the right types, paths are absolute, flags in the query are
// true/false, so that wrong input is a 400 naming the field before any work starts.
import { isAbsolute } from 'node:path';
import type {
  AuthRequest, LoadLayoutRequest, PullRequest, PushRequest, SaveLayoutRequest, SaveRequest, TagRequest,
} from '../../api/images.js';
import { parsePlatform, PlatformError, type Platform } from '../../image/platform-parse.js';
import { KilnError } from '../../util/errors.js';

function invalid(request: string, field: string, what: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `${request} request: ${field} must be ${what}`);
}

function objectBody(request: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(request, 'the body', 'a JSON object');
  return value as Record<string, unknown>;
}

function optionalString(request: string, body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value !== undefined && typeof value !== 'string') throw invalid(request, field, 'a string');
  return value;
}

function requiredString(request: string, body: Record<string, unknown>, field: string): string {
  const value = optionalString(request, body, field);
  if (value === undefined || value === '') throw invalid(request, field, 'a non-empty string');
  return value;
}

function names(request: string, body: Record<string, unknown>): string[] {
  const value = body['names'];
  if (!Array.isArray(value) || value.length === 0 || !value.every((name) => typeof name === 'string' && name !== '')) {
    throw invalid(request, 'names', 'a non-empty list of image names');
  }
  return value as string[];
}

function absolutePath(request: string, body: Record<string, unknown>): string {
  const path = requiredString(request, body, 'path');
  if (!isAbsolute(path)) throw invalid(request, 'path', 'an absolute path');
  return path;
}

/** A flag of the query: absent is false; anything but true/false/1/0 is refused. */
export function queryBoolean(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  if (value === null || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  throw new KilnError('INVALID_ARGUMENT', `invalid value for ${name}: ${JSON.stringify(value)} (expected true or false)`);
}

/** A `platform` given as text (`os/arch[/variant]`), refused with a 400 when malformed; absent or '' is none. */
export function platformParam(text: string | undefined): Platform | undefined {
  if (text === undefined || text === '') return undefined;
  try {
    return parsePlatform(text);
  } catch (err) {
    if (err instanceof PlatformError) throw new KilnError('INVALID_ARGUMENT', `invalid platform ${JSON.stringify(text)}: ${err.message}`);
    throw err;
  }
}

export function parseTagRequest(value: unknown): TagRequest {
  return { target: requiredString('tag', objectBody('tag', value), 'target') };
}

export function parsePullRequest(value: unknown): PullRequest {
  const body = objectBody('pull', value);
  const platform = optionalString('pull', body, 'platform');
  return { reference: requiredString('pull', body, 'reference'), ...(platform === undefined || platform === '' ? {} : { platform }) };
}

export function parsePushRequest(value: unknown): PushRequest {
  const body = objectBody('push', value);
  const allTags = body['allTags'];
  if (allTags !== undefined && typeof allTags !== 'boolean') throw invalid('push', 'allTags', 'a boolean');
  return allTags === undefined ? {} : { allTags };
}

export function parseSaveRequest(value: unknown): SaveRequest {
  const body = objectBody('save', value);
  const format = body['format'] ?? 'docker';
  if (format !== 'docker' && format !== 'oci') throw invalid('save', 'format', '"docker" or "oci"');
  return { names: names('save', body), format };
}

export function parseSaveLayoutRequest(value: unknown): SaveLayoutRequest {
  const body = objectBody('save', value);
  return { names: names('save', body), path: absolutePath('save', body) };
}

export function parseLoadLayoutRequest(value: unknown): LoadLayoutRequest {
  return { path: absolutePath('load', objectBody('load', value)) };
}

export function parseAuthRequest(value: unknown): AuthRequest {
  const body = objectBody('auth', value);
  const username = optionalString('auth', body, 'username');
  const password = optionalString('auth', body, 'password');
  const identityToken = optionalString('auth', body, 'identityToken');
  const registryToken = optionalString('auth', body, 'registryToken');
  return {
    serverAddress: optionalString('auth', body, 'serverAddress') ?? '',
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(identityToken === undefined || identityToken === '' ? {} : { identityToken }),
    ...(registryToken === undefined || registryToken === '' ? {} : { registryToken }),
  };
}
