// What the image store keeps per name, and the checks that guard it: records come in from
// callers (put) and back from disk, where a hand edit or a foreign tool may have changed them.
import { KilnError } from '../util/errors.js';
import type { Descriptor } from '../image/types.js';
import { isDigest } from './digest.js';

export interface ImageRecord {
  /** A full, normalised reference such as `docker.io/library/alpine:latest`. */
  name: string;
  /** The manifest or index the name points at. */
  target: Descriptor;
  /** ISO 8601 timestamps. */
  createdAt: string;
  updatedAt: string;
  labels?: Record<string, string>;
}

export interface ImageUpdate {
  name: string;
  target: Descriptor;
  labels?: Record<string, string>;
}

/** Checks a caller's update; returns the problem, or undefined when it is valid. */
export function imageUpdateProblem(update: ImageUpdate): string | undefined {
  if (typeof update.name !== 'string' || update.name === '') return 'the image name must be a non-empty string';
  return targetProblem(update.target) ?? labelsProblem(update.labels);
}

export function invalidImage(name: unknown, problem: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `invalid image record ${JSON.stringify(name)}: ${problem}`);
}

/**
 * Parses a stored record. Anything that is not a complete record is reported, never
 * repaired: the store is where garbage collection finds its roots, so guessing would risk
 * deleting an image's blobs.
 */
export function parseImageRecord(text: string, file: string): ImageRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw corruptRecord(file, 'it is not valid JSON', err);
  }
  const problem = recordProblem(value);
  if (problem !== undefined) throw corruptRecord(file, problem);
  return value as ImageRecord;
}

export function corruptRecord(file: string, problem: string, cause?: unknown): KilnError {
  return new KilnError('INTERNAL', `image metadata file ${file} is corrupt: ${problem}`, {
    hint: 'restore the file from a backup or delete it and pull or tag the image again',
    cause,
  });
}

function recordProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'it is not a JSON object';
  if (typeof value.name !== 'string' || value.name === '') return '"name" must be a non-empty string';
  for (const field of ['createdAt', 'updatedAt'] as const) {
    const time = value[field];
    if (typeof time !== 'string' || Number.isNaN(Date.parse(time))) return `"${field}" must be a timestamp`;
  }
  return targetProblem(value.target) ?? labelsProblem(value.labels);
}

function targetProblem(target: unknown): string | undefined {
  if (!isObject(target)) return 'the target must be a descriptor object';
  if (typeof target.mediaType !== 'string' || target.mediaType === '') return 'the target media type must be a non-empty string';
  if (typeof target.digest !== 'string' || !isDigest(target.digest)) {
    return `the target digest ${JSON.stringify(target.digest)} is not "sha256:" and 64 lowercase hex characters`;
  }
  if (!(Number.isSafeInteger(target.size) && (target.size as number) >= 0)) {
    return `the target size ${JSON.stringify(target.size)} is not a non-negative integer`;
  }
  return undefined;
}

function labelsProblem(labels: unknown): string | undefined {
  if (labels === undefined) return undefined;
  if (!isObject(labels)) return 'labels must be an object of strings';
  const bad = Object.entries(labels).find(([, v]) => typeof v !== 'string');
  return bad === undefined ? undefined : `label ${JSON.stringify(bad[0])} must have a string value`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
