// `RUN --mount=type=bind|cache|tmpfs|secret|ssh,...` (BuildKit's commands_runmount.go).
// Parsing happens in two steps, as in BuildKit: when the instruction is read, the CSV is
// split and `from=` is checked (it names a stage, so it must not hold variables); when the
// RUN is dispatched, the values are expanded with the stage's env and everything else is
// validated.
import type { Range } from '../ast.js';
import { CsvError, csvFields } from './csv.js';
import { errorAt, type SourceText } from './errors.js';
import { parseGoBool, parseRamBytes, parseUint32 } from './goparse.js';
import { didYouMean, joinHints } from './suggest.js';
import type { CacheSharing, Mount, MountField, MountSpec, MountType } from './types.js';

export const mountTypes: readonly MountType[] = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];
const sharingModes: readonly CacheSharing[] = ['shared', 'private', 'locked'];
const mountKeys = [
  'type', 'from', 'source', 'src', 'target', 'dst', 'destination', 'readonly', 'ro', 'readwrite', 'rw',
  'id', 'sharing', 'required', 'size', 'mode', 'uid', 'gid', 'env',
];

type Fail = (message: string, hint?: string) => Error;

export function parseMountSpec(text: string, range: Range, src: SourceText): MountSpec {
  let raw: string[];
  try {
    raw = csvFields(text);
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    throw errorAt(src, range, `invalid --mount value: ${err.message}`, 'write --mount=type=cache,target=/path (comma-separated key=value pairs)');
  }
  const fields = raw.map(splitField);
  let from: string | undefined;
  for (const field of fields) {
    if (field.key !== 'from' || field.value === undefined) continue;
    // A trailing `$` is literal for the shell lexer, so BuildKit lets it through.
    const dollar = field.value.indexOf('$');
    if (dollar !== -1 && dollar !== field.value.length - 1) {
      const hint = 'define a stage with FROM (where global ARGs are expanded) and mount from that stage';
      throw errorAt(src, range, `variable expansion is not supported for --mount from=${field.value}`, hint);
    }
    from = field.value === '' ? undefined : field.value;
  }
  return { text, fields, from, range };
}

/** Expands the values of a mount with `expand` and checks the result. */
export function resolveMount(spec: MountSpec, expand: (word: string) => string, src: SourceText): Mount {
  const fail: Fail = (message, hint) => errorAt(src, spec.range, message, hint);
  const mount = emptyMount(spec.range);
  let readOnlyGiven = false;
  for (const field of spec.fields) {
    if (field.value === undefined) {
      readOnlyGiven = applyFlagField(mount, field.key, fail) || readOnlyGiven;
    } else {
      readOnlyGiven = applyValueField(mount, field.key, expand(field.value), fail) || readOnlyGiven;
    }
  }
  if (!readOnlyGiven) mount.readOnly = mount.type !== 'cache' && mount.type !== 'tmpfs';
  validateMount(mount, fail);
  return mount;
}

function splitField(field: string): MountField {
  const eq = field.indexOf('=');
  if (eq === -1) return { key: field.toLowerCase(), value: undefined };
  return { key: field.slice(0, eq).toLowerCase(), value: field.slice(eq + 1) };
}

function emptyMount(range: Range): Mount {
  return {
    type: 'bind', from: undefined, source: undefined, target: undefined, readOnly: false, sizeLimit: 0,
    id: undefined, sharing: undefined, required: false, env: undefined, mode: undefined, uid: undefined, gid: undefined, range,
  };
}

/** A field without `=`; returns true when it decided read-only-ness. */
function applyFlagField(mount: Mount, key: string, fail: Fail): boolean {
  if (key === 'readonly' || key === 'ro' || key === 'readwrite' || key === 'rw') {
    mount.readOnly = key === 'readonly' || key === 'ro';
    return true;
  }
  if (key === 'required') {
    requireSecretOrSsh(mount, key, fail);
    mount.required = true;
    return false;
  }
  throw fail(`invalid field '${key}' in --mount: it must be a key=value pair`, 'only ro, rw and required may be given without a value');
}

/** A `key=value` field; returns true when it decided read-only-ness. */
function applyValueField(mount: Mount, key: string, value: string, fail: Fail): boolean {
  switch (key) {
    case 'type': mount.type = mountType(value, fail); return false;
    case 'from': mount.from = value; return false;
    case 'source': case 'src': mount.source = value; return false;
    case 'target': case 'dst': case 'destination': mount.target = value; return false;
    case 'readonly': case 'ro': mount.readOnly = boolField(key, value, fail); return true;
    case 'readwrite': case 'rw': mount.readOnly = !boolField(key, value, fail); return true;
    case 'required': requireSecretOrSsh(mount, key, fail); mount.required = boolField(key, value, fail); return false;
    case 'size': mount.sizeLimit = sizeField(mount, value, fail); return false;
    case 'id': mount.id = value; return false;
    case 'sharing': mount.sharing = sharingMode(value, fail); return false;
    case 'mode': mount.mode = numberField(key, value, 8, fail); return false;
    case 'uid': case 'gid': mount[key] = numberField(key, value, 10, fail); return false;
    case 'env': mount.env = value; return false;
    default:
      throw fail(`unexpected key '${key}' in '${key}=${value}' of --mount`, joinHints(didYouMean(key, mountKeys), `valid keys: ${mountKeys.join(', ')}`));
  }
}

function mountType(value: string, fail: Fail): MountType {
  const type = mountTypes.find((t) => t === value.toLowerCase());
  if (type !== undefined) return type;
  throw fail(`unsupported mount type "${value}"`, joinHints(didYouMean(value, mountTypes), `mount types: ${mountTypes.join(', ')}`));
}

function sharingMode(value: string, fail: Fail): CacheSharing {
  const mode = sharingModes.find((m) => m === value.toLowerCase());
  if (mode !== undefined) return mode;
  throw fail(`unsupported sharing value "${value}"`, joinHints(didYouMean(value, sharingModes), `sharing is one of ${sharingModes.join(', ')}`));
}

function requireSecretOrSsh(mount: Mount, key: string, fail: Fail): void {
  if (mount.type === 'secret' || mount.type === 'ssh') return;
  throw fail(`unexpected key '${key}' for mount type '${mount.type}'`, `${key} applies to type=secret and type=ssh (give type= first)`);
}

function boolField(key: string, value: string, fail: Fail): boolean {
  const parsed = parseGoBool(value);
  if (parsed === undefined) throw fail(`invalid value "${value}" for ${key} in --mount`, 'use true or false');
  return parsed;
}

function sizeField(mount: Mount, value: string, fail: Fail): number {
  if (mount.type !== 'tmpfs') throw fail(`unexpected key 'size' for mount type '${mount.type}'`, 'size applies to type=tmpfs (give type= first)');
  const bytes = parseRamBytes(value);
  if (bytes === undefined) throw fail(`invalid value "${value}" for size in --mount`, 'give a size such as 64m or 1g');
  return bytes;
}

function numberField(key: string, value: string, base: 8 | 10, fail: Fail): number {
  const parsed = parseUint32(value, base);
  if (parsed !== undefined) return parsed;
  throw fail(`invalid value "${value}" for ${key} in --mount`, base === 8 ? 'give an octal mode such as 0755' : `give a numeric ${key} such as 1000`);
}

function validateMount(m: Mount, fail: Fail): void {
  const fileInfoAllowed = m.type === 'secret' || m.type === 'ssh' || m.type === 'cache';
  for (const key of ['mode', 'uid', 'gid'] as const) {
    if (!fileInfoAllowed && m[key] !== undefined) throw fail(`${key} not allowed for "${m.type}" type mounts`, `${key} applies to cache, secret and ssh mounts`);
  }
  if (m.type === 'secret') validateSecret(m, fail);
  if (m.type === 'ssh' && m.source) throw fail('ssh mounts do not support source', 'use id= to pick the ssh agent socket or key');
  if (m.sharing !== undefined && m.type !== 'cache') throw fail(`invalid cache sharing set for ${m.type} mount`, 'sharing applies to type=cache');
  // BuildKit would mount over the working directory when target is missing; that is never
  // what was meant, so kiln asks for it.
  if ((m.type === 'bind' || m.type === 'cache' || m.type === 'tmpfs') && (m.target ?? '') === '') {
    throw fail(`mount type=${m.type} requires a target`, `add target=<path>, e.g. --mount=type=${m.type},target=/path`);
  }
}

function validateSecret(m: Mount, fail: Fail): void {
  if (m.from) throw fail('secret mount should not have a from', 'secrets come from the client: use id= (and kiln build --secret id=...)');
  if (m.sharing !== undefined) throw fail('secret mount should not define sharing');
  if (!m.source && !m.target && !m.id) {
    throw fail('invalid secret mount: one of id, source or target is required', 'e.g. --mount=type=secret,id=npmrc,target=/root/.npmrc');
  }
  if (m.source && m.id) throw fail('both source and id can\'t be set for a secret mount', 'give only id=');
}
