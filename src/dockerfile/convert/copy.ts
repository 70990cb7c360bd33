// COPY and ADD: one file op with a copy action per source (BuildKit's dispatchCopy). Context
// sources copy a directory's contents, match wildcards and create the destination's parents;
// heredoc sources are files made on scratch; `--link` copies onto scratch and merges.
import { posix } from 'node:path';
import { fileActions, merge, scratch, type CopyOptions, type FileOwner, type State } from '../../llb/index.js';
import { parseChmod, type AddCommand, type CopyCommand, type DispatchStep } from '../instructions/index.js';
import { notImplemented, type SourceText } from './errors.js';
import { historyEntry } from './history.js';
import { displayLine, type NameLexers } from './names.js';
import type { StageBuild } from './stage-build.js';

export interface CopyContext {
  src: SourceText;
  lexers: NameLexers;
  /** The build context (the local source). */
  context: State;
  /** The stage or image a `COPY --from` reads; undefined for the build context. */
  from: State | undefined;
}

export function convertCopy(b: StageBuild, cmd: CopyCommand | AddCommand, step: DispatchStep, ctx: CopyContext): void {
  if (cmd.kind === 'add') rejectAddSources(cmd, ctx.src);
  const options = copyOptions(cmd, ctx.src);
  const dest = destPath(b.state.cwd, cmd.dest);
  const source = ctx.from ?? ctx.context;
  let chain = fileActions();
  for (const raw of cmd.sources) {
    const { path, includePatterns } = sourcePath(raw, cmd.kind === 'copy' && cmd.parents);
    chain = chain.copy(source, path, dest, {
      ...options, followSymlinks: true, dirContentsOnly: true, createDestPath: true,
      allowWildcard: true, allowEmptyWildcard: true, includePatterns,
    });
  }
  for (const inline of cmd.contents) {
    const file = scratch().file(fileActions().mkfile(inline.path, 0o644, inline.data));
    chain = chain.copy(file, `/${inline.path}`, dest, { ...options, createDestPath: true });
  }
  const name = b.namer.next(displayLine(cmd.original, step.before.env, ctx.lexers.word));
  // As in BuildKit, --link gives way to --chmod.
  const linked = cmd.link && cmd.chmod === undefined;
  const copied = (linked ? scratch() : b.state).file(chain).withMetadata({ ...b.metadata, customName: name });
  b.state = linked ? merge([b.state, copied]).withMetadata({ ...b.metadata, customName: `${name} (link)` }) : copied;
  b.added.push(historyEntry(copyHistory(cmd), true, true));
}

function copyOptions(cmd: CopyCommand | AddCommand, src: SourceText): CopyOptions {
  const options: CopyOptions = { excludePatterns: [...cmd.exclude] };
  if (cmd.chown !== undefined && cmd.chown !== '') options.owner = parseOwner(cmd.chown);
  if (cmd.chmod !== undefined && cmd.chmod !== '') {
    const chmod = parseChmod(cmd.chmod);
    if (chmod === undefined || !('mode' in chmod)) {
      throw notImplemented(src, cmd.flagRanges['chmod'] ?? cmd.range, `symbolic --chmod=${cmd.chmod} is not supported yet`, 'give an octal mode such as 0755');
    }
    options.mode = chmod.mode;
  }
  return options;
}

/** `user[:group]`, each a number or a name looked up in the destination (llb.WithUser). */
export function parseOwner(spec: string): FileOwner {
  const colon = spec.indexOf(':');
  const id = (part: string): number | string => (/^\d+$/.test(part) ? Number(part) : part);
  if (colon < 0) return { user: id(spec) };
  return { user: id(spec.slice(0, colon)), group: id(spec.slice(colon + 1)) };
}

/** The destination against the working directory; a trailing slash (or `.`) means "into". */
function destPath(cwd: string, dest: string): string {
  const into = dest === '' || dest === '.' ? './' : dest;
  const resolved = posix.resolve(cwd, into);
  return into.endsWith('/') && resolved !== '/' ? `${resolved}/` : resolved;
}

// With --parents a `/./` marks the pivot: the path below it is kept under the destination,
// which the copy does by matching it as an include pattern from the pivot directory.
function sourcePath(raw: string, parents: boolean): { path: string; includePatterns: string[] } {
  if (!parents) return { path: posix.resolve('/', raw), includePatterns: [] };
  const pivot = raw.indexOf('/./');
  const [parent, pattern] = pivot < 0 ? ['/', raw] : [raw.slice(0, pivot), raw.slice(pivot + 3)];
  return { path: posix.resolve('/', parent), includePatterns: [posix.resolve('/', pattern).slice(1)] };
}

function copyHistory(cmd: CopyCommand | AddCommand): string {
  const words: string[] = [cmd.kind.toUpperCase()];
  if (cmd.kind === 'copy' && cmd.parents) words.push('--parents');
  if (cmd.chown !== undefined && cmd.chown !== '') words.push(`--chown=${cmd.chown}`);
  if (cmd.chmod !== undefined && cmd.chmod !== '') words.push(`--chmod=${cmd.chmod}`);
  words.push(...cmd.sources, ...cmd.contents.map((c) => `<<${c.path}`), cmd.dest);
  return words.join(' ');
}

const archiveName = /\.(tar|tgz|tbz2?|txz|tzst|tar\.(gz|bz2|xz|zst|lz4))$/i;

// ADD's remote sources and archive extraction need sources and unpacking the solver does not
// have yet; a plain ADD of a file or directory is a COPY.
function rejectAddSources(cmd: AddCommand, src: SourceText): void {
  for (const source of cmd.sources) {
    const what = remoteKind(source) ?? (cmd.unpack !== false && archiveName.test(source) ? 'a local archive (extracted by ADD)' : undefined);
    if (what !== undefined) {
      throw notImplemented(src, cmd.argsRange, `ADD of ${what} is not supported yet: ${source}`, 'download or extract it in a RUN step, or COPY the file');
    }
  }
  if (cmd.unpack === true) {
    throw notImplemented(src, cmd.flagRanges['unpack'] ?? cmd.range, 'ADD --unpack is not supported yet', 'extract the archive in a RUN step');
  }
}

function remoteKind(source: string): string | undefined {
  if (/^git@|^git:\/\/|\.git(#.*)?$|\.git\?/.test(source)) return 'a git repository';
  if (/^https?:\/\//i.test(source)) return 'a URL';
  return undefined;
}

/** The context paths a COPY/ADD reads (BuildKit collects them for the local source's followPaths). */
export function contextPaths(cmd: CopyCommand | AddCommand): string[] {
  if (cmd.kind === 'copy' && cmd.from !== undefined) return [];
  return cmd.sources.filter((s) => remoteKind(s) === undefined).map((s) => posix.join('/', s));
}
