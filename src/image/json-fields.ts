// Checks for untrusted JSON documents. Each check either accepts a value or throws a
// KilnError naming the path of the offending field, e.g. `manifest.layers[2].digest`, so a
// bad manifest from a registry is reported precisely instead of failing later, deep in a pull.
import { KilnError } from '../util/errors.js';

export type JSONObject = Record<string, unknown>;
export type Check = (value: unknown, path: string) => void;

const digestPattern = /^sha256:[0-9a-f]{64}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function invalid(path: string, problem: string): never {
  throw new KilnError('INVALID_ARGUMENT', `${path}: ${problem}`);
}

/** Decodes and parses a document, which must be a JSON object. */
export function parseDocument(input: string | Uint8Array, path: string): JSONObject {
  let text: string;
  let value: unknown;
  try {
    text = typeof input === 'string' ? input : utf8.decode(input);
  } catch {
    invalid(path, 'not valid UTF-8');
  }
  try {
    value = JSON.parse(text);
  } catch (err) {
    invalid(path, `not valid JSON (${(err as Error).message})`);
  }
  return object(value, path);
}

export function object(value: unknown, path: string): JSONObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(path, 'must be an object');
  return value as JSONObject;
}

export function required(obj: JSONObject, key: string, path: string, check: Check): void {
  if (obj[key] === undefined || obj[key] === null) invalid(`${path}.${key}`, 'is required');
  check(obj[key], `${path}.${key}`);
}

/**
 * Go's encoder writes `null` for empty slices and maps (`"Cmd": null` is common in Docker
 * configs) and its decoder reads it as absent; the key is dropped so readers see undefined.
 */
export function optional(obj: JSONObject, key: string, path: string, check: Check): void {
  if (obj[key] === null) delete obj[key];
  if (obj[key] !== undefined) check(obj[key], `${path}.${key}`);
}

export const string: Check = (value, path) => {
  if (typeof value !== 'string') invalid(path, 'must be a string');
};

export const nonEmptyString: Check = (value, path) => {
  string(value, path);
  if (value === '') invalid(path, 'must not be empty');
};

export const boolean: Check = (value, path) => {
  if (typeof value !== 'boolean') invalid(path, 'must be a boolean');
};

export const integer: Check = (value, path) => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) invalid(path, 'must be an integer');
};

/** Byte counts: JSON numbers beyond 2^53 cannot be represented exactly, so they are refused. */
export const size: Check = (value, path) => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    invalid(path, 'not a valid size (a non-negative integer)');
  }
};

export const digest: Check = (value, path) => {
  if (typeof value !== 'string' || !digestPattern.test(value)) invalid(path, 'not a valid digest');
};

export function arrayOf(check: Check): Check {
  return (value, path) => {
    if (!Array.isArray(value)) invalid(path, 'must be an array');
    value.forEach((item, i) => check(item, `${path}[${i}]`));
  };
}

export function mapOf(check: Check): Check {
  return (value, path) => {
    for (const [key, item] of Object.entries(object(value, path))) check(item, `${path}[${JSON.stringify(key)}]`);
  };
}

export const stringArray = arrayOf(string);
export const stringMap = mapOf(string);
/** `ExposedPorts` and `Volumes` are sets written as maps to empty objects. */
export const objectSet = mapOf(object);
