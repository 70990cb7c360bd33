// The `outputs` of a build request (src/api/build-output.ts), checked as the daemon receives
// them: a client of the API other than kiln's own CLI gets a clear refusal, not a crash.
import { isAbsolute } from 'node:path';
import type { BuildOutput } from '../../api/build-output.js';
import { KilnError } from '../../util/errors.js';

function invalid(what: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `build request: outputs ${what}`);
}

const isNames = (value: unknown): value is string[] => Array.isArray(value) && value.every((name) => typeof name === 'string');

function destOf(output: Record<string, unknown>): string {
  const { dest } = output;
  if (typeof dest !== 'string' || !isAbsolute(dest)) throw invalid(`of type ${String(output['type'])}: dest must be an absolute path`);
  return dest;
}

function namesOf(output: Record<string, unknown>): string[] {
  const { names } = output;
  if (!isNames(names)) throw invalid(`of type ${String(output['type'])}: names must be a list of names`);
  return names;
}

function booleanOf(output: Record<string, unknown>, field: string): boolean {
  const value = output[field];
  if (typeof value !== 'boolean') throw invalid(`of type ${String(output['type'])}: ${field} must be a boolean`);
  return value;
}

function parseOutput(value: unknown): BuildOutput {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('must hold objects');
  const output = value as Record<string, unknown>;
  switch (output['type']) {
    case 'image': return { type: 'image', names: namesOf(output), push: booleanOf(output, 'push') };
    case 'oci': return { type: 'oci', dest: destOf(output), tar: booleanOf(output, 'tar'), names: namesOf(output) };
    case 'docker': return { type: 'docker', dest: destOf(output), names: namesOf(output) };
    case 'tar':
    case 'local': return { type: output['type'], dest: destOf(output) };
    default: throw invalid(`type ${JSON.stringify(output['type'])} is not one of image, oci, docker, tar, local`);
  }
}

/** The request's outputs; undefined when it has none. */
export function parseBuildOutputs(value: unknown): BuildOutput[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw invalid('must be a list');
  return value.map(parseOutput);
}
