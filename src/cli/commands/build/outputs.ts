// `kiln build --output` and `--push`, parsed as docker buildx parses them: comma-separated
// `key=value` fields (CSV, so `"name=a,b"` names twice), `type=` required, `dest=` a path made
// absolute here (the daemon writes it), `-o DIR` for `type=local,dest=DIR`. `type=registry` is
// `type=image,push=true`, and `--push` adds `push=true` to the image output.
import { resolve } from 'node:path';
import type { BuildOutput } from '../../../api/build-output.js';
import { KilnError } from '../../../util/errors.js';
import { flagError } from '../../report.js';

/** The fields of one value, as Go's encoding/csv reads a record: quotes group commas. */
export function csvFields(text: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (char === '"' && quoted && text[i + 1] === '"') {
      field += '"';
      i += 1;
    } else if (char === '"') quoted = !quoted;
    else if (char === ',' && !quoted) {
      fields.push(field);
      field = '';
    } else field += char;
  }
  if (quoted) throw flagError('--output', `unterminated quote in ${JSON.stringify(text)}`);
  fields.push(field);
  return fields;
}

/** Go's strconv.ParseBool, which buildx uses for its boolean attributes. */
function parseBool(key: string, value: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw flagError('--output', `invalid value ${JSON.stringify(value)} for ${key}: expected true or false`);
}

/** The attributes of one value; a bare field after `name=` is one more name (`name=a,b`). */
function attributesOf(text: string): Map<string, string[]> {
  const attrs = new Map<string, string[]>();
  let last: string | undefined;
  for (const field of csvFields(text)) {
    const eq = field.indexOf('=');
    if (eq === -1 && last === 'name') {
      attrs.get('name')?.push(field);
      continue;
    }
    if (eq <= 0) throw flagError('--output', `invalid value ${JSON.stringify(field)}`, 'use --output type=TYPE[,KEY=VALUE...]');
    last = field.slice(0, eq).trim().toLowerCase();
    attrs.set(last, [...(attrs.get(last) ?? []), ...field.slice(eq + 1).split(',')]);
  }
  return attrs;
}

const supported: Readonly<Record<string, readonly string[]>> = {
  image: ['name', 'push'],
  registry: ['name', 'push'],
  oci: ['dest', 'tar', 'name'],
  docker: ['dest', 'name'],
  tar: ['dest'],
  local: ['dest'],
};

function destOf(type: string, attrs: Map<string, string[]>, cwd: string): string | undefined {
  const dest = attrs.get('dest')?.join(',');
  if (dest === undefined || dest === '') return undefined;
  if (dest === '-') {
    throw new KilnError('NOT_IMPLEMENTED', `--output: type=${type},dest=- (writing to stdout) is not supported`, {
      hint: 'give a file path as dest', details: { flag: '--output' },
    });
  }
  return resolve(cwd, dest);
}

/** One `--output` value. */
export function parseOutput(text: string, cwd = process.cwd()): BuildOutput {
  if (text.trim() === '') throw flagError('--output', 'empty value', 'use --output type=TYPE[,KEY=VALUE...]');
  // A bare path is a local directory; `-` is a tar on stdout.
  if (!text.includes('=') && !text.includes(',')) return parseOutput(text === '-' ? 'type=tar,dest=-' : `type=local,"dest=${text.replaceAll('"', '""')}"`, cwd);
  const attrs = attributesOf(text);
  const type = attrs.get('type')?.join(',');
  if (type === undefined || type === '') throw flagError('--output', `type is required for output ${JSON.stringify(text)}`);
  const keys = supported[type];
  if (keys === undefined) throw flagError('--output', `unknown output type ${JSON.stringify(type)}`, 'use one of image, registry, oci, docker, tar, local');
  const unsupported = [...attrs.keys()].find((key) => key !== 'type' && !keys.includes(key));
  if (unsupported !== undefined) {
    throw new KilnError('NOT_IMPLEMENTED', `--output: type=${type} does not support ${unsupported}`, { hint: `it takes ${keys.join(', ')}`, details: { flag: '--output' } });
  }
  const names = (attrs.get('name') ?? []).map((name) => name.trim()).filter((name) => name !== '');
  const dest = destOf(type, attrs, cwd);
  const flag = (key: string, fallback: boolean): boolean => {
    const value = attrs.get(key)?.join(',');
    return value === undefined ? fallback : parseBool(key, value);
  };
  if (type === 'image' || type === 'registry') return { type: 'image', names, push: type === 'registry' || flag('push', false) };
  // buildx loads a docker output without a dest into the engine: here, the store.
  if (type === 'docker' && dest === undefined) return { type: 'image', names, push: false };
  if (dest === undefined) throw flagError('--output', `dest is required for type=${type}`);
  if (type === 'oci') return { type: 'oci', dest, tar: flag('tar', true), names };
  if (type === 'docker') return { type: 'docker', dest, names };
  return { type: type === 'tar' ? 'tar' : 'local', dest };
}

/** Every `--output`, with `--push` folded in; undefined for the default (the image in the store). */
export function parseOutputs(values: readonly string[], push: boolean, cwd = process.cwd()): BuildOutput[] | undefined {
  if (values.length > 1) throw flagError('--output', 'multiple outputs currently unsupported', 'give one --output');
  const output = values[0] === undefined ? undefined : parseOutput(values[0], cwd);
  if (!push) return output === undefined ? undefined : [output];
  if (output === undefined) return [{ type: 'image', names: [], push: true }];
  if (output.type !== 'image') throw flagError('--push', `push and "${output.type}" output can't be used together`);
  return [{ ...output, push: true }];
}
