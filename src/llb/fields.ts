// Reading untrusted JSON field by field. Each reader names the field's path when it refuses a
// value, and parseDefinition adds which vertex it was; unknown fields are refused too, because a
// field kiln silently dropped would be a request (say, a newer mount option) it never honoured.

/** A refusal inside one vertex; parseDefinition turns it into a KilnError naming the vertex. */
export class ShapeError extends Error {}

export type JsonRecord = Record<string, unknown>;

export function record(value: unknown, where: string): JsonRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ShapeError(`${where} must be an object`);
  }
  return value as JsonRecord;
}

export function onlyKeys(obj: JsonRecord, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw new ShapeError(`${where} has an unknown field ${JSON.stringify(key)}`);
  }
}

export function str(obj: JsonRecord, key: string, where: string): string {
  const value = obj[key];
  if (typeof value !== 'string') throw new ShapeError(`${where}.${key} must be a string`);
  return value;
}

export function optStr(obj: JsonRecord, key: string, where: string): string | undefined {
  return obj[key] === undefined ? undefined : str(obj, key, where);
}

export function bool(obj: JsonRecord, key: string, where: string): boolean {
  const value = obj[key];
  if (typeof value !== 'boolean') throw new ShapeError(`${where}.${key} must be true or false`);
  return value;
}

export function optBool(obj: JsonRecord, key: string, where: string): boolean | undefined {
  return obj[key] === undefined ? undefined : bool(obj, key, where);
}

/** A non-negative safe integer (indices, modes, ids, sizes). */
export function uint(obj: JsonRecord, key: string, where: string): number {
  const value = obj[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ShapeError(`${where}.${key} must be a non-negative integer`);
  }
  return value;
}

export function optUint(obj: JsonRecord, key: string, where: string): number | undefined {
  return obj[key] === undefined ? undefined : uint(obj, key, where);
}

/** An index or null ("none"); a missing field is refused so that null is always explicit. */
export function nullableIndex(obj: JsonRecord, key: string, where: string): number | null {
  if (obj[key] === null) return null;
  return uint(obj, key, where);
}

export function oneOf<T extends string>(obj: JsonRecord, key: string, values: readonly T[], where: string): T {
  const value = obj[key];
  if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
    throw new ShapeError(`${where}.${key} must be one of ${values.join(', ')}`);
  }
  return value as T;
}

export function strArray(obj: JsonRecord, key: string, where: string): string[] {
  const value = obj[key];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new ShapeError(`${where}.${key} must be an array of strings`);
  }
  return [...(value as string[])];
}

export function optStrArray(obj: JsonRecord, key: string, where: string): string[] | undefined {
  return obj[key] === undefined ? undefined : strArray(obj, key, where);
}

/** A string-to-string map, copied into a fresh object so that no key can reach a prototype. */
export function strRecord(obj: JsonRecord, key: string, where: string): Record<string, string> {
  const value = record(obj[key], `${where}.${key}`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new ShapeError(`${where}.${key}[${JSON.stringify(k)}] must be a string`);
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

export function array(obj: JsonRecord, key: string, where: string): unknown[] {
  const value = obj[key];
  if (!Array.isArray(value)) throw new ShapeError(`${where}.${key} must be an array`);
  return value;
}
