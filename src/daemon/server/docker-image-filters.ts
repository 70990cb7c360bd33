// The `filters` query parameter of `GET /images/json` and `POST /images/prune`: URL-encoded JSON,
// `{"reference":{"x":true}}` from current clients or `{"reference":["x"]}` from old ones. A
// filter the daemon does not know is refused (400) rather than ignored: ignoring it would
// select every image, and scripts pass the selection to `rmi`.
import { createdTime, findImage, type LocalImage } from '../images/local.js';
import type { ImageEngine } from '../images/engine.js';
import { KilnError } from '../../util/errors.js';
import { imageRepoDigests, imageRepoTags, isDanglingImage } from './docker-image-json.js';

/** Filter name → the values asked for. */
export type Filters = Map<string, string[]>;

function invalidFilter(what: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `invalid filter '${what}'`);
}

/** Parses `filters`, allowing only the names in `known`. */
export function parseFilters(text: string | null, known: readonly string[]): Filters {
  const filters: Filters = new Map();
  if (text === null || text.trim() === '') return filters;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new KilnError('INVALID_ARGUMENT', `invalid filters: not a JSON object: ${JSON.stringify(text.slice(0, 100))}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new KilnError('INVALID_ARGUMENT', 'invalid filters: not a JSON object');
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!known.includes(name)) throw invalidFilter(name);
    let values: string[];
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) values = value as string[];
    else if (typeof value === 'object' && value !== null && !Array.isArray(value)) values = Object.entries(value).filter(([, on]) => on === true).map(([v]) => v);
    else throw new KilnError('INVALID_ARGUMENT', `invalid filters: the value of '${name}' is neither a list nor a map of strings`);
    if (values.length > 0) filters.set(name, values);
  }
  return filters;
}

/** The one boolean value of a filter such as `dangling`; undefined when absent. */
export function booleanFilter(filters: Filters, name: string): boolean | undefined {
  const values = filters.get(name);
  if (values === undefined) return undefined;
  const flags = new Set(values.map((value) => {
    if (/^(true|1)$/i.test(value)) return true;
    if (/^(false|0)$/i.test(value)) return false;
    throw invalidFilter(`${name}=${value}`);
  }));
  if (flags.size > 1) throw new KilnError('INVALID_ARGUMENT', `invalid filter '${name}': conflicting values`);
  return flags.has(true);
}

/** docker's reference pattern: a path glob (`*` and `?` stay within one path component). */
function globPattern(pattern: string): RegExp {
  const body = [...pattern].map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`);
}

/** The names of `refs` (`repo:tag` or `repo@digest`) a pattern matches, whole or by repository alone. */
export function matchingReferences(refs: string[], patterns: string[]): string[] {
  const globs = patterns.map(globPattern);
  return refs.filter((ref) => {
    const repo = ref.replace(/(@.*|:[^/:]*)$/, '');
    return globs.some((glob) => glob.test(ref) || glob.test(repo));
  });
}

/** `label=key` or `label=key=value`: every one must hold. */
export function labelsMatch(image: LocalImage, wanted: string[]): boolean {
  const labels = image.config.config?.Labels ?? {};
  return wanted.every((entry) => {
    const eq = entry.indexOf('=');
    if (eq < 0) return Object.hasOwn(labels, entry);
    return labels[entry.slice(0, eq)] === entry.slice(eq + 1);
  });
}

/** The creation time (ms) of the image a before/since filter names. */
async function referenceTime(engine: ImageEngine, filters: Filters, name: string): Promise<number | undefined> {
  const [text] = filters.get(name) ?? [];
  return text === undefined ? undefined : createdTime((await findImage(engine, text)).image);
}

/** `until`: a unix time in seconds, an RFC 3339 date, or a Go duration before now (`24h`, `90m`). */
export function untilTime(filters: Filters, now = Date.now()): number | undefined {
  const [text] = filters.get('until') ?? [];
  if (text === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 1e-6 };
  const parts = /^(\d+(?:\.\d+)?(?:h|ms|m|s|us|µs|ns))+$/.test(text) ? [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)] : [];
  if (parts.length > 0) return now - parts.reduce((sum, [, n = '0', unit = 's']) => sum + Number(n) * (units[unit] ?? 0), 0);
  const date = Date.parse(text);
  if (Number.isNaN(date)) throw invalidFilter(`until=${text}`);
  return date;
}

/** What a list filter keeps of an image: the image with the tags and digests to show, or nothing. */
export interface Selected {
  image: LocalImage;
  repoTags: string[];
  repoDigests: string[];
}

/** The images `GET /images/json` shows under `filters` (reference, dangling, label, before, since). */
export async function selectImages(engine: ImageEngine, images: LocalImage[], filters: Filters): Promise<Selected[]> {
  const dangling = booleanFilter(filters, 'dangling');
  const references = filters.get('reference');
  const labels = filters.get('label') ?? [];
  const before = await referenceTime(engine, filters, 'before');
  const since = await referenceTime(engine, filters, 'since');
  const selected: Selected[] = [];
  for (const image of images) {
    const created = createdTime(image);
    if (dangling !== undefined && isDanglingImage(image) !== dangling) continue;
    if (!labelsMatch(image, labels)) continue;
    if ((before !== undefined && created >= before) || (since !== undefined && created <= since)) continue;
    let repoTags = imageRepoTags(image);
    let repoDigests = imageRepoDigests(image);
    if (references !== undefined) {
      // As dockerd: only the matching names are shown, and an image none matches is left out.
      repoTags = matchingReferences(repoTags, references);
      repoDigests = matchingReferences(repoDigests, references);
      if (repoTags.length === 0 && repoDigests.length === 0) continue;
    }
    selected.push({ image, repoTags, repoDigests });
  }
  return selected;
}
