// .dockerignore: reading the file, deciding what it excludes, and walking a build context with
// it. The rules are Docker's (moby/patternmatcher and its ignorefile reader), not gitignore's:
// patterns are anchored at the context root (`foo` does not match `a/foo`), a pattern that
// matches a directory excludes everything below it, and the last matching line wins, so a later
// `!` line can re-include a file inside an excluded directory.
import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError, isKilnError, sourceError, type ErrorCode, type SourceLocation } from '../util/errors.js';
import { canMatchPrefix, cleanPath, compilePattern, trimSpace, type CompiledPattern } from './ignore-pattern.js';

export interface IgnorePattern {
  /** The cleaned pattern, without its `!`. */
  pattern: string;
  /** True for a `!` line, which re-includes what earlier lines excluded. */
  exclusion: boolean;
  /** 1-based line in the ignore file (0 when the pattern did not come from a file). */
  line: number;
}

export interface IgnoreFile {
  file: string;
  patterns: IgnorePattern[];
}

const DOCKERIGNORE = '.dockerignore';

/** Reads ignore-file text; a bad line throws a KilnError located at file:line:column. */
export function parseIgnoreFile(text: string, file: string = DOCKERIGNORE): IgnorePattern[] {
  const patterns: IgnorePattern[] = [];
  text.split('\n').forEach((raw, index) => {
    // Lines end at `\n` with an optional `\r`; the first may carry a UTF-8 byte-order mark.
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (index === 0 && line.startsWith('\uFEFF')) line = line.slice(1);
    const pattern = parseLine(line, index + 1, file);
    if (pattern) patterns.push(pattern);
  });
  return patterns;
}

// Only a `#` in column 0 starts a comment; `  # x` is the pattern `# x`.
function parseLine(text: string, line: number, file: string): IgnorePattern | undefined {
  if (text.startsWith('#')) return undefined;
  const body = trimSpace(text);
  if (body === '') return undefined;
  const column = text.indexOf(body) + 1;
  try {
    const entry = parseEntry(normalizeLine(body));
    if (entry) compilePattern(entry.pattern);
    return entry && { ...entry, line };
  } catch (err) {
    if (!isKilnError(err)) throw err;
    const source: SourceLocation = {
      file,
      range: { start: { line, column }, end: { line, column: column + body.length } },
      text,
    };
    throw sourceError(err.message, source, err.hint);
  }
}

// Docker's file reader: trim after `!` too, clean, and drop one leading `/` because every
// pattern is relative to the context root.
function normalizeLine(body: string): string {
  const exclusion = body.startsWith('!');
  let pattern = exclusion ? trimSpace(body.slice(1)) : body;
  if (pattern !== '') {
    pattern = cleanPath(pattern);
    if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
  }
  return exclusion ? `!${pattern}` : pattern;
}

// Docker's matcher constructor, applied to the reader's output (and to bare string patterns):
// trim, clean the whole text (so `!/` becomes a bare `!`), then split off the `!`.
function parseEntry(text: string): Omit<IgnorePattern, 'line'> | undefined {
  const pattern = trimSpace(text);
  if (pattern === '') return undefined;
  const cleaned = cleanPath(pattern);
  if (!cleaned.startsWith('!')) return { pattern: cleaned, exclusion: false };
  if (cleaned.length === 1) {
    throw new KilnError('INVALID_ARGUMENT', 'invalid exclusion "!": a "!" must be followed by a pattern', {
      hint: 'write the path to re-include after the "!", as in "!docs/README.md", or delete the line',
    });
  }
  return { pattern: cleaned.slice(1), exclusion: true };
}

interface MatcherEntry {
  exclusion: boolean;
  compiled: CompiledPattern;
}

export class PatternMatcher {
  /** True when any pattern is a `!` exception, so a walker must look inside excluded directories. */
  readonly exclusions: boolean;
  readonly #entries: MatcherEntry[] = [];

  /**
   * Strings are taken as Docker's matcher takes them (COPY --exclude goes this way): trimmed,
   * cleaned, `!` split off; no leading `/` is dropped, unlike lines of an ignore file.
   * Throws an INVALID_ARGUMENT KilnError for a bad pattern.
   */
  constructor(patterns: ReadonlyArray<IgnorePattern | string>) {
    for (const item of patterns) {
      const entry = typeof item === 'string' ? parseEntry(item) : item;
      if (entry) this.#entries.push({ exclusion: entry.exclusion, compiled: compilePattern(entry.pattern) });
    }
    this.exclusions = this.#entries.some((entry) => entry.exclusion);
  }

  /**
   * Path relative to the context root, '/'-separated. True if excluded (parents considered).
   * This is patternmatcher's MatchesOrParentMatches. BuildKit's walker reuses each parent's
   * per-line results instead, which misses an exception that matches only a parent reached
   * before that line could apply: with `a/b` then `!a` it drops a/b/c, and we keep it.
   */
  matches(path: string): boolean {
    const target = contextPath(path);
    if (target === undefined) return false;
    let excluded = false;
    for (const { exclusion, compiled } of this.#entries) {
      // A line can only change the verdict when its polarity differs from the current one.
      if (exclusion !== excluded) continue;
      if (compiled.regexp.test(target)) excluded = !exclusion;
    }
    return excluded;
  }

  /** True when nothing below `dir` can be re-included, so a walker may skip it. */
  canSkipDir(dir: string): boolean {
    const target = contextPath(dir);
    if (target === undefined) return false;
    const last = this.#lastMatching(target);
    if (last < 0 || this.#entries[last]?.exclusion !== false) return false;
    // Only a later exception that can match something strictly below `dir` could re-include it.
    const below = `${target}/`;
    return !this.#entries.slice(last + 1).some((entry) => entry.exclusion && canMatchPrefix(entry.compiled, below));
  }

  #lastMatching(target: string): number {
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      if (this.#entries[i]?.compiled.regexp.test(target)) return i;
    }
    return -1;
  }
}

// The context root itself is never excluded.
function contextPath(path: string): string | undefined {
  const cleaned = cleanPath(path).replace(/^\/+/, '');
  return cleaned === '' || cleaned === '.' ? undefined : cleaned;
}

/**
 * Finds and parses the ignore file for a build: `<Dockerfile>.dockerignore` next to the
 * Dockerfile first, then `<context>/.dockerignore`. A Dockerfile read from stdin (`-`) has no
 * neighbour. A relative path is relative to the current directory, as the CLI's `-f` is.
 */
export async function loadIgnoreFile(contextDir: string, dockerfilePath: string): Promise<IgnoreFile | undefined> {
  const candidates = dockerfilePath === '-' ? [] : [`${dockerfilePath}${DOCKERIGNORE}`];
  candidates.push(join(contextDir, DOCKERIGNORE));
  for (const file of candidates) {
    const text = await readIfPresent(file);
    if (text !== undefined) return { file, patterns: parseIgnoreFile(text, file) };
  }
  return undefined;
}

const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (ABSENT.has(errnoCode(err))) return undefined;
    throw fsError(err, `cannot read ${file}`);
  }
}

/**
 * The sorted relative paths of every entry (file, directory, symlink, other) the build context
 * keeps. Symlinks are not followed. An excluded directory is listed only when something below it
 * is re-included. Order is walk order, children right after their directory (`a`, `a/b`, `a.txt`),
 * as BuildKit sends a context.
 */
export async function walkContext(contextDir: string, matcher: PatternMatcher, options: WalkOptions = {}): Promise<string[]> {
  const walk: Walk = { root: contextDir, matcher, kept: [], ...(options.onDirectory === undefined ? {} : { onDirectory: options.onDirectory }) };
  await walkDir(walk, '', false);
  // With '/' sorting below every other character, a plain sort gives walk order.
  return walk.kept
    .map((path) => path.replaceAll('/', '\0'))
    .sort()
    .map((key) => key.replaceAll('\0', '/'));
}

export interface WalkOptions {
  /**
   * Called with each directory's relative path ('' for the root) just before it is read, so a
   * watcher armed there sees every change the listing may have missed.
   */
  onDirectory?: (dir: string) => void;
}

interface Walk extends WalkOptions {
  root: string;
  matcher: PatternMatcher;
  kept: string[];
}

/** Lists `dir` into `walk.kept`; true when anything below it was kept. */
async function walkDir(walk: Walk, dir: string, excluded: boolean): Promise<boolean> {
  walk.onDirectory?.(dir);
  const entries = await readEntries(walk.root, dir, excluded);
  let keptAny = false;
  const subdirs: Array<Promise<boolean>> = [];
  for (const entry of entries) {
    const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
    const isExcluded = walk.matcher.matches(path);
    if (entry.isDirectory()) {
      if (!isExcluded || !walk.matcher.canSkipDir(path)) subdirs.push(walkSubdir(walk, path, isExcluded));
    } else if (!isExcluded) {
      walk.kept.push(path);
      keptAny = true;
    }
  }
  const results = await Promise.all(subdirs);
  return keptAny || results.includes(true);
}

async function walkSubdir(walk: Walk, path: string, excluded: boolean): Promise<boolean> {
  const keep = (await walkDir(walk, path, excluded)) || !excluded;
  if (keep) walk.kept.push(path);
  return keep;
}

async function readEntries(root: string, dir: string, excluded: boolean): Promise<Dirent[]> {
  try {
    return await readdir(join(root, dir), { withFileTypes: true });
  } catch (err) {
    const code = errnoCode(err);
    // A directory that vanished mid-walk is simply gone; an unreadable excluded one sends nothing.
    if (dir !== '' && (code === 'ENOENT' || code === 'ENOTDIR')) return [];
    if (excluded && (code === 'EACCES' || code === 'EPERM')) return [];
    throw fsError(err, dir === '' ? `cannot read build context ${root}` : `cannot read ${join(root, dir)}`);
  }
}

function errnoCode(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? '';
}

function fsError(err: unknown, what: string): KilnError {
  const code = errnoCode(err);
  const kind: ErrorCode =
    code === 'ENOENT' ? 'NOT_FOUND' : code === 'EACCES' || code === 'EPERM' ? 'DENIED' : code === 'ENOTDIR' ? 'INVALID_ARGUMENT' : 'INTERNAL';
  // Node's message is "CODE: description, syscall 'path'"; the description is the useful part.
  const message = err instanceof Error ? err.message : String(err);
  const description = /^[A-Z]+: ([^,]+)/.exec(message)?.[1] ?? message;
  return new KilnError(kind, `${what}: ${description}`, { cause: err });
}
