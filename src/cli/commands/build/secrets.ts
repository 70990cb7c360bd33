// `--secret` and `--ssh`, read on the client as buildx reads them (build/secrets.go, parseSSH),
// so the daemon gets the secret bytes and the agent sockets and nothing else of the client.
// - `--secret id=ID[,src=PATH|,env=VAR][,type=file|env]`: `type=env` takes `src` as the
//   variable's name; with neither src nor env, the variable ID when it is set, else the file ID.
// - `--ssh default|ID[=SOCKET]`: `default` (or an ID without a path) is $SSH_AUTH_SOCK. A path
//   must be an agent's socket: kiln does not load key files itself.
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { maxSecretSize } from '../../../api/build.js';
import { KilnError } from '../../../util/errors.js';
import { flagError } from '../../report.js';

export interface SecretSpec {
  id: string;
  /** The file to read; undefined when the value comes from `env`. */
  file?: string;
  env?: string;
}

/** A comma-separated list as encoding/csv reads it: double quotes keep commas. */
function csvFields(text: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' && quoted && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      fields.push(field);
      field = '';
    } else field += c;
  }
  return [...fields, field];
}

export function parseSecretFlag(value: string, env: NodeJS.ProcessEnv = process.env): SecretSpec {
  let id = '';
  let file: string | undefined;
  let variable: string | undefined;
  let type: string | undefined;
  for (const field of csvFields(value)) {
    const eq = field.indexOf('=');
    if (eq === -1) throw flagError('--secret', `invalid field '${field}' must be a key=value pair`, 'use --secret id=ID,src=PATH or --secret id=ID,env=VAR');
    const key = field.slice(0, eq).toLowerCase();
    const text = field.slice(eq + 1);
    if (key === 'type') {
      if (text !== 'file' && text !== 'env') throw flagError('--secret', `unsupported secret type "${text}"`, 'type is file or env');
      type = text;
    } else if (key === 'id') id = text;
    else if (key === 'source' || key === 'src') file = text;
    else if (key === 'env') variable = text;
    else throw flagError('--secret', `unexpected key '${key}' in '${field}'`, 'keys: id, src (or source), env, type');
  }
  if (type === 'env' && variable === undefined) {
    variable = file;
    file = undefined;
  }
  if (id === '') throw flagError('--secret', `secret missing ID in "${value}"`, 'give id=ID');
  if (variable === undefined && file === undefined) {
    if (env[id] !== undefined) variable = id;
    else file = id;
  }
  // An env source wins over a file, as BuildKit's file store reads it.
  return variable !== undefined && variable !== '' ? { id, env: variable } : { id, file: resolve(file ?? '') };
}

/** The secrets' values, base64, by id; a later flag with the same id wins. */
export async function readSecrets(values: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Record<string, string>> {
  const secrets: Record<string, string> = {};
  for (const value of values) {
    const spec = parseSecretFlag(value, env);
    let data: Buffer;
    if (spec.env !== undefined) {
      const text = env[spec.env];
      if (text === undefined) throw flagError('--secret', `secret ${spec.id}: environment variable ${spec.env} is not set`);
      data = Buffer.from(text, 'utf8');
    } else {
      const path = spec.file ?? '';
      data = await readFile(path).catch((err: NodeJS.ErrnoException) => {
        throw flagError('--secret', `secret ${spec.id}: failed to read ${path}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`);
      });
    }
    if (data.length > maxSecretSize) throw flagError('--secret', `secret ${spec.id}: invalid secret size ${data.length} (at most ${maxSecretSize} bytes)`);
    secrets[spec.id] = data.toString('base64');
  }
  return secrets;
}

/** `--ssh` values as agent sockets by id (absolute paths on this host). */
export async function readSshAgents(values: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Record<string, string>> {
  const agents: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    const id = eq === -1 ? value : value.slice(0, eq);
    const paths = eq === -1 ? [] : value.slice(eq + 1).split(',').filter((p) => p !== '');
    if (id === '') throw flagError('--ssh', `invalid value "${value}"`, 'use --ssh default or --ssh ID=SOCKET');
    if (paths.length > 1) throw flagError('--ssh', `${id}: one agent socket per id is supported, got ${paths.length} paths`);
    const path = paths[0] ?? env['SSH_AUTH_SOCK'] ?? '';
    if (path === '') throw flagError('--ssh', `${id}: invalid empty ssh agent socket: make sure SSH_AUTH_SOCK is set`);
    const full = resolve(path);
    const info = await stat(full).catch((err: NodeJS.ErrnoException) => {
      throw flagError('--ssh', `${id}: ${full}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`);
    });
    if (!info.isSocket()) {
      throw new KilnError('NOT_IMPLEMENTED', `--ssh: ${id}: ${full} is not an ssh agent socket, and key files are not supported`, {
        hint: `load the key into an agent (eval $(ssh-agent); ssh-add ${path}) and use --ssh ${id}`, details: { flag: '--ssh' },
      });
    }
    agents[id] = full;
  }
  return agents;
}
