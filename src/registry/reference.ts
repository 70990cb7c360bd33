// Image references: `[domain/]path[:tag][@digest]`, with Docker's grammar and Docker Hub
// normalisation (github.com/distribution/reference). The grammar is applied piece by piece
// rather than as one large regular expression: a reference splits unambiguously at its `@` and
// at the last `:` after the last `/`, and small anchored patterns on each piece cannot
// backtrack badly on hostile input the way one nested pattern over the whole string could.
import { KilnError } from '../util/errors.js';

export interface Reference {
  /** Registry host with optional port; '' only from `parseReference` of a name without one. */
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
}

const defaultDomain = 'docker.io';
const legacyDefaultDomain = 'index.docker.io';
const dockerHubRegistry = 'registry-1.docker.io';
const officialPrefix = 'library/';
const defaultTag = 'latest';
const maxPathLength = 255;

const pathComponentPattern = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainPattern = new RegExp(
  `^(?:${domainNameComponent}(?:\\.${domainNameComponent})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`,
);
const tagPattern = /^\w[\w.-]{0,127}$/;
const digestPattern = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const identifierPattern = /^[a-f0-9]{64}$/;

// The algorithms Docker registers by default; the hex length is fixed by each.
const digestHexLength: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

const formatHint =
  'a reference is [registry[:port]/]path[:tag][@digest] with lowercase path components, ' +
  'e.g. "alpine:3.20", "ghcr.io/org/app:1" or "localhost:5000/app@sha256:<64 hex>"';

function invalidReference(text: string, reason: string, hint = formatHint): KilnError {
  const shown = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return new KilnError('INVALID_ARGUMENT', `invalid reference format ${JSON.stringify(shown)}: ${reason}`, {
    hint,
    details: { reference: text },
  });
}

interface Pieces {
  name: string;
  tag: string | undefined;
  digest: string | undefined;
}

/** Splits at the `@` and at a `:` after the last `/`; undefined when that is ambiguous. */
function splitPieces(text: string): Pieces | undefined {
  const parts = text.split('@');
  if (parts.length > 2) return undefined;
  const [nameAndTag = '', digest] = parts;
  const lastSlash = nameAndTag.lastIndexOf('/');
  const tail = nameAndTag.slice(lastSlash + 1).split(':');
  if (tail.length > 2) return undefined;
  const [, tag] = tail;
  const name = tag === undefined ? nameAndTag : nameAndTag.slice(0, nameAndTag.length - tag.length - 1);
  return { name, tag, digest };
}

function isPath(path: string): boolean {
  return path.split('/').every((component) => pathComponentPattern.test(component));
}

/**
 * Strict grammar: the first component is a domain when it can be one and the rest is a valid
 * path, so "foo/bar" has domain "foo" here; the Docker Hub rules live in `splitDockerDomain`.
 */
function splitName(name: string): { domain: string; path: string } | undefined {
  const slash = name.indexOf('/');
  if (slash > 0) {
    const domain = name.slice(0, slash);
    const path = name.slice(slash + 1);
    if (domainPattern.test(domain) && isPath(path)) return { domain, path };
  }
  return isPath(name) ? { domain: '', path: name } : undefined;
}

/** The text with its repository part lower-cased; the first `keep` characters stay as they are. */
function lowercasedRepository(text: string, keep: number): string {
  const rest = text.slice(keep);
  const end = rest.search(/[:@]/);
  const repository = end < 0 ? rest : rest.slice(0, end);
  const suffix = end < 0 ? '' : rest.slice(end);
  return text.slice(0, keep) + repository.toLowerCase() + suffix;
}

function lowercaseError(text: string, keep: number): KilnError {
  return invalidReference(text, 'repository name must be lowercase', `use ${JSON.stringify(lowercasedRepository(text, keep))}`);
}

function validateDigest(digest: string, invalid: (reason: string, hint?: string) => KilnError): void {
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const expected = digestHexLength[algorithm];
  if (expected === undefined) {
    throw invalid(`unsupported digest algorithm "${algorithm}"`, 'supported digest algorithms are sha256, sha384 and sha512');
  }
  const shape = `a ${algorithm} digest is "${algorithm}:" followed by ${expected} lowercase hexadecimal characters`;
  if (hex.length !== expected) throw invalid(`${algorithm} digest has ${hex.length} hexadecimal characters, not ${expected}`, shape);
  if (!/^[a-f0-9]+$/.test(hex)) throw invalid('digest must use lowercase hexadecimal', shape);
}

function emptyError(): KilnError {
  return invalidReference('', 'repository name must have at least one component', 'name an image, e.g. "alpine:3.20"');
}

/** Parses a reference exactly as written: no default domain, no `library/`, no default tag. */
export function parseReference(text: string): Reference {
  if (text === '') throw emptyError();
  return parseStrict(text, text);
}

/** `original` is what the user wrote, for error messages, when `text` was normalised from it. */
function parseStrict(text: string, original: string): Reference {
  const invalid = (reason: string, hint?: string): KilnError => invalidReference(original, reason, hint);
  const pieces = splitPieces(text);
  if (pieces === undefined) throw invalid('too many ":" or "@" separators');
  const { name, tag, digest } = pieces;
  if (tag !== undefined && !tagPattern.test(tag)) {
    throw invalid(`invalid tag ${JSON.stringify(tag)}`, 'a tag is 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-"');
  }
  if (digest !== undefined && !digestPattern.test(digest)) {
    throw invalid(`invalid digest ${JSON.stringify(digest)}`, 'a digest is "algorithm:hex", e.g. "sha256:" followed by 64 hexadecimal characters');
  }
  const split = splitName(name);
  if (split === undefined) {
    const lowered = splitName(name.toLowerCase());
    if (lowered !== undefined) throw lowercaseError(original, lowered.domain === '' ? 0 : original.indexOf('/') + 1);
    const shown = text === original ? name : (splitPieces(original)?.name ?? original);
    throw invalid(shown === '' ? 'missing repository name' : `invalid repository name ${JSON.stringify(shown)}`);
  }
  if (split.path.length > maxPathLength) {
    throw invalid(`repository name must not be more than ${maxPathLength} characters`, 'shorten the repository path');
  }
  if (digest !== undefined) validateDigest(digest, invalid);
  return compact({ ...split, tag, digest });
}

function compact(ref: { domain: string; path: string; tag: string | undefined; digest: string | undefined }): Reference {
  const out: Reference = { domain: ref.domain, path: ref.path };
  if (ref.tag !== undefined) out.tag = ref.tag;
  if (ref.digest !== undefined) out.digest = ref.digest;
  return out;
}

/**
 * Docker's rule for whether the first component names a registry: `localhost`, anything with
 * a `.` or `:` (host names, IP addresses, ports), or anything with uppercase (a repository
 * path cannot have it). A single component is never a domain, so "localhost" is an image.
 * `explicit` tells whether the domain was written in the text.
 */
function splitDockerDomain(text: string): { domain: string; remainder: string; explicit: boolean } {
  const slash = text.indexOf('/');
  let domain = defaultDomain;
  let remainder = text;
  let explicit = false;
  if (slash >= 0) {
    const first = text.slice(0, slash);
    if (first === 'localhost' || first === legacyDefaultDomain || /[.:]/.test(first) || first.toLowerCase() !== first) {
      domain = first === legacyDefaultDomain ? defaultDomain : first;
      remainder = text.slice(slash + 1);
      explicit = true;
    }
  }
  // Official images live under library/, but only for one-component names on Docker Hub.
  if (domain === defaultDomain && !remainder.includes('/')) remainder = officialPrefix + remainder;
  return { domain, remainder, explicit };
}

/** Docker's ParseNormalizedNamed: familiar names become docker.io/library/..., case is checked. */
export function parseNormalizedReference(text: string): Reference {
  if (text === '') throw emptyError();
  if (identifierPattern.test(text)) {
    throw invalidReference(
      text,
      'cannot specify 64-byte hexadecimal strings',
      'a 64-character hex string reads as an image ID, not a repository name; name a repository, or use "<name>@sha256:<hex>"',
    );
  }
  const { domain, remainder, explicit } = splitDockerDomain(text);
  // Docker cuts at the first ':' only, so a digest's algorithm ("@SHA256:") would be blamed on
  // the repository name; cutting at '@' too lets the digest check report it.
  const end = remainder.search(/[:@]/);
  const remote = end < 0 ? remainder : remainder.slice(0, end);
  if (remote.toLowerCase() !== remote) throw lowercaseError(text, explicit ? text.indexOf('/') + 1 : 0);
  const ref = parseStrict(`${domain}/${remainder}`, text);
  // The strict grammar falls back to "no domain" when the chosen first component is not a
  // valid host (e.g. "foo_bar.com/app"); a normalised reference always names its registry.
  if (ref.domain !== domain) {
    throw invalidReference(text, `invalid registry host ${JSON.stringify(domain)}`, 'a registry is a host name or IP address with an optional port, e.g. "registry.example.com:5000"');
  }
  return ref;
}

export function withDefaultTag(ref: Reference): Reference {
  if (ref.tag !== undefined || ref.digest !== undefined) return ref;
  return { ...ref, tag: defaultTag };
}

function suffix(ref: Reference): string {
  return (ref.tag === undefined ? '' : `:${ref.tag}`) + (ref.digest === undefined ? '' : `@${ref.digest}`);
}

export function repositoryName(ref: Reference): string {
  return ref.domain === '' ? ref.path : `${ref.domain}/${ref.path}`;
}

/** The full form, e.g. docker.io/library/alpine:latest; no tag is added. */
export function formatReference(ref: Reference): string {
  return repositoryName(ref) + suffix(ref);
}

/** The short form Docker shows: Docker Hub's domain and a one-level `library/` are dropped. */
export function familiarName(ref: Reference): string {
  if (ref.domain !== defaultDomain) return formatReference(ref);
  const official = ref.path.startsWith(officialPrefix) ? ref.path.slice(officialPrefix.length) : undefined;
  const path = official !== undefined && !official.includes('/') ? official : ref.path;
  return path + suffix(ref);
}

/** The host to contact: Docker Hub's names map to the registry API host. */
export function registryHost(ref: Reference): string {
  if (ref.domain === '' || ref.domain === defaultDomain || ref.domain === legacyDefaultDomain) return dockerHubRegistry;
  return ref.domain;
}
