// `--cache-from` and `--cache-to`, in BuildKit's syntax (buildkit.md c.7): comma-separated
// `key=value` fields with a `type`, or a bare image reference for `type=registry,ref=<it>` as
// buildx takes it. Parsed by the CLI, and checked again by the daemon, whose request may come
// from any client.
//
// kiln's one deliberate difference: an export that fails warns and never fails the build
// (`ignore-error` is true by default); `ignore-error=false` makes the failure the build's.
import { KilnError } from '../util/errors.js';

/**
 * `cache-mounts=true`: the cache also carries the build's cache mounts (RUN
 * --mount=type=cache), exported or brought back; off unless asked for, as they can be large.
 */
interface CacheMountsOption {
  cacheMounts?: true;
}

export type CacheImport =
  | ({ type: 'registry'; ref: string } & CacheMountsOption)
  /** An OCI layout directory; `tag` (default `latest`) or `digest` picks the cache in it. */
  | ({ type: 'local'; src: string; tag?: string; digest?: string } & CacheMountsOption);

export type CacheMode = 'min' | 'max';

export type CacheExport =
  | ({ type: 'registry'; ref: string; mode: CacheMode; ignoreError: boolean } & CacheMountsOption)
  | ({ type: 'local'; dest: string; tag?: string; mode: CacheMode; ignoreError: boolean } & CacheMountsOption)
  /** The cache's records in the image's own config, its layers the image's (mode=min only). */
  | { type: 'inline' };

function invalid(flag: string, message: string, hint?: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `${flag}: ${message}`, { details: { flag }, ...(hint === undefined ? {} : { hint }) });
}

/** Splits `a=1,"b=x,y",c=3` into fields, as Go's csv reader that BuildKit uses reads one line. */
function csvFields(text: string, flag: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let at = 0; at < text.length; at++) {
    const char = text[at] as string;
    if (quoted) {
      if (char === '"' && text[at + 1] === '"') {
        field += '"';
        at++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"' && field === '') quoted = true;
    else if (char === ',') {
      fields.push(field);
      field = '';
    } else field += char;
  }
  if (quoted) throw invalid(flag, `unterminated quote in ${JSON.stringify(text)}`);
  fields.push(field);
  return fields;
}

/** The fields as a map; a bare value (no `=`) is an image reference for the registry type. */
function attributes(text: string, flag: string): Map<string, string> {
  const fields = csvFields(text.trim(), flag);
  if (fields.length === 1 && !(fields[0] as string).includes('=')) return new Map([['type', 'registry'], ['ref', fields[0] as string]]);
  const found = new Map<string, string>();
  for (const field of fields) {
    const eq = field.indexOf('=');
    if (eq <= 0) throw invalid(flag, `invalid field ${JSON.stringify(field)}: expected key=value`);
    found.set(field.slice(0, eq).trim().toLowerCase(), field.slice(eq + 1));
  }
  return found;
}

function required(attrs: Map<string, string>, key: string, flag: string, type: string): string {
  const value = attrs.get(key);
  if (value === undefined || value === '') throw invalid(flag, `type=${type} needs ${key}=`);
  return value;
}

function bool(attrs: Map<string, string>, key: string, fallback: boolean, flag: string): boolean {
  const value = attrs.get(key);
  if (value === undefined) return fallback;
  if (/^(true|1)$/i.test(value)) return true;
  if (/^(false|0)$/i.test(value)) return false;
  throw invalid(flag, `${key}=${value}: expected true or false`);
}

function modeOf(attrs: Map<string, string>, flag: string): CacheMode {
  const mode = attrs.get('mode') ?? 'min';
  if (mode !== 'min' && mode !== 'max') throw invalid(flag, `mode=${mode}: expected min or max`);
  return mode;
}

/**
 * BuildKit's fields whose default is what kiln's format always is (an OCI image manifest of
 * gzip layers): taken with that value, refused with another rather than silently ignored.
 */
const fixedFields: ReadonlyMap<string, RegExp> = new Map([
  ['oci-mediatypes', /^(true|1)$/i],
  ['image-manifest', /^(true|1)$/i],
  ['compression', /^gzip$/],
  // Layers are gzip already: forcing their compression to gzip changes nothing.
  ['force-compression', /^(true|false|1|0)$/i],
  ['registry.insecure', /^(true|false|1|0)$/i],
]);

function checkKnown(attrs: Map<string, string>, known: readonly string[], flag: string, type: string): void {
  for (const [key, value] of attrs) {
    if (key === 'type' || known.includes(key)) continue;
    const fixed = fixedFields.get(key);
    if (fixed === undefined) throw invalid(flag, `type=${type} has no field ${JSON.stringify(key)}`);
    if (!fixed.test(value)) throw invalid(flag, `${key}=${value}: kiln's cache is always an OCI image manifest of gzip layers`);
  }
}

function cacheMountsOf(attrs: Map<string, string>, flag: string): CacheMountsOption {
  return bool(attrs, 'cache-mounts', false, flag) ? { cacheMounts: true } : {};
}

/** The directory of a local cache, which the daemon reads and writes in place. */
export function localCacheDir(spec: CacheImport | CacheExport): string | undefined {
  if (spec.type !== 'local') return undefined;
  return 'src' in spec ? spec.src : spec.dest;
}

/** The spec with its local directory made absolute by `resolve` (the client's working directory). */
export function withAbsoluteDir<T extends CacheImport | CacheExport>(spec: T, resolve: (path: string) => string): T {
  if (spec.type !== 'local') return spec;
  return 'src' in spec ? { ...spec, src: resolve(spec.src) } : { ...spec, dest: resolve(spec.dest) };
}

function unknownType(flag: string, type: string, types: string): KilnError {
  return invalid(flag, `unknown cache type ${JSON.stringify(type)}`, `kiln's cache types are ${types}`);
}

/** An export's fields, which an import takes and ignores, as buildx does: one spec serves both flags. */
const exportOnly = ['mode', 'ignore-error'];

export function parseCacheImport(text: string, flag = '--cache-from'): CacheImport {
  const attrs = attributes(text, flag);
  const type = attrs.get('type') ?? '';
  const mounts = cacheMountsOf(attrs, flag);
  if (type === 'registry') {
    checkKnown(attrs, ['ref', 'cache-mounts', ...exportOnly], flag, type);
    return { type, ref: required(attrs, 'ref', flag, type), ...mounts };
  }
  if (type === 'local') {
    checkKnown(attrs, ['src', 'tag', 'digest', 'cache-mounts', ...exportOnly], flag, type);
    const tag = attrs.get('tag');
    const digest = attrs.get('digest');
    return { type, src: required(attrs, 'src', flag, type), ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }), ...mounts };
  }
  throw unknownType(flag, type, 'registry and local');
}

export function parseCacheExport(text: string, flag = '--cache-to'): CacheExport {
  const attrs = attributes(text, flag);
  const type = attrs.get('type') ?? '';
  if (type === 'inline') {
    checkKnown(attrs, ['mode'], flag, type);
    if (modeOf(attrs, flag) !== 'min') throw invalid(flag, 'type=inline takes mode=min only: the image carries the records of its own layers');
    return { type };
  }
  const mode = modeOf(attrs, flag);
  const ignoreError = bool(attrs, 'ignore-error', true, flag);
  const mounts = cacheMountsOf(attrs, flag);
  if (type === 'registry') {
    checkKnown(attrs, ['ref', 'mode', 'ignore-error', 'cache-mounts'], flag, type);
    return { type, ref: required(attrs, 'ref', flag, type), mode, ignoreError, ...mounts };
  }
  if (type === 'local') {
    checkKnown(attrs, ['dest', 'tag', 'mode', 'ignore-error', 'cache-mounts'], flag, type);
    const tag = attrs.get('tag');
    return { type, dest: required(attrs, 'dest', flag, type), ...(tag === undefined ? {} : { tag }), mode, ignoreError, ...mounts };
  }
  throw unknownType(flag, type, 'registry, local and inline');
}

function csvValue(value: string): string {
  return /[",]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function formatFields(fields: Record<string, string | boolean | undefined>): string {
  return Object.entries(fields).filter(([, value]) => value !== undefined).map(([key, value]) => csvValue(`${key}=${String(value)}`)).join(',');
}

/** The spec in the syntax it was parsed from (a request carries the text, checked again there). */
export function formatCacheImport(spec: CacheImport): string {
  const mounts = { 'cache-mounts': spec.cacheMounts };
  return spec.type === 'registry' ? formatFields({ type: spec.type, ref: spec.ref, ...mounts }) : formatFields({ type: spec.type, src: spec.src, tag: spec.tag, digest: spec.digest, ...mounts });
}

export function formatCacheExport(spec: CacheExport): string {
  if (spec.type === 'inline') return 'type=inline';
  const common = { mode: spec.mode, 'ignore-error': spec.ignoreError, 'cache-mounts': spec.cacheMounts };
  return spec.type === 'registry' ? formatFields({ type: spec.type, ref: spec.ref, ...common }) : formatFields({ type: spec.type, dest: spec.dest, tag: spec.tag, ...common });
}
