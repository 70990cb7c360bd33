// The checks on what a native container, volume or network request brings (src/api/containers.ts,
// volumes.ts, networks.ts; a run's options are run-options.ts'): bodies are JSON objects of known
// fields with the right types, numbers in the query are whole and not negative, so that wrong
// input is a 400 naming the field before any work starts. What the values mean (a bad subnet, an
// invalid volume name) is the stores' to judge.
import type { NetworkCreateRequest } from '../../api/networks.js';
import type { VolumeCreateRequest, VolumePruneRequest } from '../../api/volumes.js';
import { KilnError } from '../../util/errors.js';

function invalid(request: string, field: string, what: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `${request} request: ${field} must be ${what}`);
}

/** The body as an object with only `known` fields. */
function objectBody(request: string, value: unknown, known: string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(request, 'the body', 'a JSON object');
  const unknown = Object.keys(value).find((key) => !known.includes(key));
  if (unknown !== undefined) throw new KilnError('INVALID_ARGUMENT', `${request} request: unknown field "${unknown}"`);
  return value as Record<string, unknown>;
}

function optionalString(request: string, body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value !== undefined && (typeof value !== 'string' || value === '')) throw invalid(request, field, 'a non-empty string');
  return value;
}

function optionalBoolean(request: string, body: Record<string, unknown>, field: string): boolean | undefined {
  const value = body[field];
  if (value !== undefined && typeof value !== 'boolean') throw invalid(request, field, 'a boolean');
  return value;
}

function labels(request: string, body: Record<string, unknown>): Record<string, string> | undefined {
  const value = body['labels'];
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw invalid(request, 'labels', 'a map of strings');
  }
  return value as Record<string, string>;
}

/** A whole number of the query that is not negative; undefined when absent. */
export function queryCount(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  if (!/^\d{1,9}$/.test(value)) throw new KilnError('INVALID_ARGUMENT', `invalid value for ${name}: ${JSON.stringify(value)} (expected a whole number)`);
  return Number(value);
}

/** `tail`: a count of lines, or `all` (the default). */
export function queryTail(query: URLSearchParams): number {
  return query.get('tail') === 'all' ? Infinity : queryCount(query, 'tail') ?? Infinity;
}

export function parseVolumeCreateRequest(value: unknown): VolumeCreateRequest {
  const body = objectBody('volume create', value, ['name', 'labels']);
  // Any string: whether it is a valid volume name is the store's to say, in docker's words.
  const name = body['name'];
  if (name !== undefined && typeof name !== 'string') throw invalid('volume create', 'name', 'a string');
  const given = labels('volume create', body);
  return { ...(name === undefined ? {} : { name }), ...(given === undefined ? {} : { labels: given }) };
}

export function parseVolumePruneRequest(value: unknown): VolumePruneRequest {
  const all = optionalBoolean('volume prune', objectBody('volume prune', value, ['all']), 'all');
  return all === undefined ? {} : { all };
}

export function parseNetworkCreateRequest(value: unknown): NetworkCreateRequest {
  const body = objectBody('network create', value, ['name', 'subnet', 'internal', 'labels']);
  const name = optionalString('network create', body, 'name');
  if (name === undefined) throw invalid('network create', 'name', 'a non-empty string');
  const subnet = optionalString('network create', body, 'subnet');
  const internal = optionalBoolean('network create', body, 'internal');
  const given = labels('network create', body);
  return {
    name,
    ...(subnet === undefined ? {} : { subnet }),
    ...(internal === undefined ? {} : { internal }),
    ...(given === undefined ? {} : { labels: given }),
  };
}
