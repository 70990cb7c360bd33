// COPY and ADD: one file op with a copy action per source (BuildKit's dispatchCopy). Context
// sources copy a directory's contents, match wildcards and create the destination's parents;
// heredoc sources are files made on scratch; URLs are http sources (ADD); `--link` copies onto
// scratch and merges.
import { posix } from 'node:path';
import { fileActions, http, merge, scratch, urlFileName, type CopyOptions, type FileOwner, type State } from '../../llb/index.js';
import { parseChmod, type AddCommand, type CopyCommand, type DispatchStep } from '../instructions/index.js';
import { invalidAt, notImplemented, type SourceText } from './errors.js';
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
    if (cmd.kind === 'add' && isUrl(raw)) {
      // BuildKit's ADD of a URL: a copy of the http source's one file, unpacked only on request.
      const filename = urlFileName(raw);
      const checksum = cmd.checksum === undefined || cmd.checksum === '' ? {} : { checksum: cmd.checksum };
      const download = http(raw, { filename, ...checksum }).withMetadata({ ...b.metadata, customName: raw });
      chain = chain.copy(download, `/${filename}`, dest, { ...options, createDestPath: true, attemptUnpack: cmd.unpack === true });
      continue;
    }
    const { path, includePatterns } = sourcePath(raw, cmd.kind === 'copy' && cmd.parents);
    chain = chain.copy(source, path, dest, {
      ...options, followSymlinks: true, dirContentsOnly: true, createDestPath: true,
      allowWildcard: true, allowEmptyWildcard: true, includePatterns,
      // ADD extracts a local tar archive (BuildKit's AttemptUnpackDockerCompatibility).
      attemptUnpack: cmd.kind === 'add' && cmd.unpack !== false,
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
    // Checked by the instruction parser: an octal mode, or a symbolic one applied per entry.
    const chmod = parseChmod(cmd.chmod);
    if (chmod !== undefined && 'mode' in chmod) options.mode = chmod.mode;
    else if (chmod !== undefined) options.modeStr = chmod.symbolic;
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

// ADD of a git repository needs a git source the solver does not have yet. A checksum only
// means something for a download: BuildKit refuses it for other sources.
function rejectAddSources(cmd: AddCommand, src: SourceText): void {
  for (const source of cmd.sources) {
    if (remoteKind(source) === 'a git repository') {
      throw notImplemented(src, cmd.argsRange, `ADD of a git repository is not supported yet: ${source}`, 'clone it in a RUN step');
    }
  }
  if (cmd.checksum === undefined || cmd.checksum === '') return;
  const range = cmd.flagRanges['checksum'] ?? cmd.range;
  if (!cmd.sources.every(isUrl)) throw invalidAt(src, range, 'checksum can\'t be specified for non-HTTP(S) sources');
  if (/^sha(384|512):[0-9a-f]+$/.test(cmd.checksum)) throw notImplemented(src, range, `ADD --checksum=${cmd.checksum} is not supported yet`, 'give a sha256 digest');
  if (!/^sha256:[0-9a-f]{64}$/.test(cmd.checksum)) throw invalidAt(src, range, `invalid checksum digest format: ${cmd.checksum}`, 'give sha256:<64 lowercase hex digits>');
}

function isUrl(source: string): boolean {
  return remoteKind(source) === 'a URL';
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
