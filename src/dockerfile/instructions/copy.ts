// COPY and ADD: sources (context paths, URLs, heredocs) and a destination, plus their flags.
// Flag values are words that are expanded at dispatch; checkCopyValues() then validates what
// only makes sense after expansion (--chmod, --checksum), like BuildKit's dispatchCopy.
import type { Heredoc } from '../ast.js';
import { errorAt, type SourceText } from './errors.js';
import { parseFlags, type FlagSpec } from './flags.js';
import { argsRange, commandBase, type ParseRequest } from './request.js';
import type { AddCommand, CopyCommand, InlineSource, SourcesAndDest } from './types.js';

export const copyFlags: readonly FlagSpec[] = [
  { name: 'from', kind: 'string' },
  { name: 'chown', kind: 'string' },
  { name: 'chmod', kind: 'string' },
  { name: 'link', kind: 'bool' },
  { name: 'parents', kind: 'bool' },
  { name: 'exclude', kind: 'strings' },
];

export const addFlags: readonly FlagSpec[] = [
  { name: 'chown', kind: 'string' },
  { name: 'chmod', kind: 'string' },
  { name: 'link', kind: 'bool' },
  { name: 'keep-git-dir', kind: 'bool' },
  { name: 'checksum', kind: 'string' },
  { name: 'unpack', kind: 'bool' },
  { name: 'exclude', kind: 'strings' },
];

const heredocWord = /^(\d*)<<(-?)\s*([^<]*)$/;

export function parseCopy(req: ParseRequest): CopyCommand {
  requireSourceAndDest(req);
  const flags = parseFlags('COPY', req.node.flags, copyFlags, req.src);
  return {
    ...commandBase(req, flags),
    kind: 'copy',
    ...sourcesAndDest(req),
    from: flags.string('from') || undefined,
    chown: flags.string('chown'),
    chmod: flags.string('chmod'),
    link: flags.bool('link'),
    parents: flags.bool('parents'),
    exclude: flags.occurrences('exclude').map((o) => o.value),
  };
}

export function parseAdd(req: ParseRequest): AddCommand {
  requireSourceAndDest(req);
  const flags = parseFlags('ADD', req.node.flags, addFlags, req.src);
  return {
    ...commandBase(req, flags),
    kind: 'add',
    ...sourcesAndDest(req),
    chown: flags.string('chown'),
    chmod: flags.string('chmod'),
    link: flags.bool('link'),
    keepGitDir: flags.has('keep-git-dir') ? flags.bool('keep-git-dir') : undefined,
    checksum: flags.string('checksum'),
    unpack: flags.has('unpack') ? flags.bool('unpack') : undefined,
    exclude: flags.occurrences('exclude').map((o) => o.value),
  };
}

/** A `--chmod` value: an octal mode up to 07777, or a symbolic mode such as `u+x,go-w`. */
export type ChmodValue = { mode: number } | { symbolic: string };

const symbolicMode = /^[ugoa]*(?:[+=-][rstwxXugo]*)+(?:,[ugoa]*(?:[+=-][rstwxXugo]*)+)*$/;

export function parseChmod(value: string): ChmodValue | undefined {
  if (/^[0-9]/.test(value)) {
    if (!/^[0-7]+$/.test(value)) return undefined;
    const mode = parseInt(value, 8);
    return mode <= 0o7777 ? { mode } : undefined;
  }
  return symbolicMode.test(value) ? { symbolic: value } : undefined;
}

/** Checks the expanded flag values of a COPY or ADD. */
export function checkCopyValues(cmd: CopyCommand | AddCommand, src: SourceText): void {
  const instruction = cmd.kind.toUpperCase();
  if (cmd.chmod !== undefined && cmd.chmod !== '' && parseChmod(cmd.chmod) === undefined) {
    const range = cmd.flagRanges['chmod'] ?? cmd.range;
    const hint = 'give an octal mode up to 07777 (e.g. 0755) or a symbolic mode (e.g. u+x,go-w)';
    throw errorAt(src, range, `invalid --chmod value "${cmd.chmod}" for ${instruction}`, hint);
  }
  if (cmd.kind === 'add' && cmd.checksum !== undefined && cmd.checksum !== '' && cmd.sources.length + cmd.contents.length !== 1) {
    const range = cmd.flagRanges['checksum'] ?? cmd.range;
    throw errorAt(src, range, 'ADD --checksum can\'t be specified for multiple sources', 'use one ADD per checksummed source');
  }
}

function requireSourceAndDest(req: ParseRequest): void {
  if (req.args.length >= 2) return;
  const hint = req.instruction === 'COPY' ? 'usage: COPY [--from=<stage>] <src>... <dest>' : 'usage: ADD <src>... <dest>';
  const which = req.args.length === 0 ? 'none was' : 'only one was';
  throw errorAt(req.src, argsRange(req), `${req.instruction} requires at least two arguments (sources and a destination), but ${which} provided`, hint);
}

function sourcesAndDest(req: ParseRequest): SourcesAndDest {
  const words = req.args.slice(0, -1);
  const destArg = req.args[req.args.length - 1];
  if (destArg === undefined) throw new Error('sourcesAndDest called without arguments');
  if (!req.node.json && heredocWord.test(destArg.value)) {
    throw errorAt(req.src, destArg.range, `${req.instruction} cannot accept a heredoc as a destination`, 'put the heredoc before the destination path');
  }
  const byName = new Map(req.node.heredocs.map((h): [string, Heredoc] => [h.name, h]));
  const sources: string[] = [];
  const contents: InlineSource[] = [];
  for (const word of words) {
    const name = req.node.json ? undefined : heredocName(word.value);
    if (name === undefined) sources.push(word.value);
    else contents.push(inlineSource(name, byName.get(name)));
  }
  return { sources, contents, dest: destArg.value };
}

function inlineSource(name: string, heredoc: Heredoc | undefined): InlineSource {
  return { path: name, data: heredoc?.content ?? '', expand: heredoc?.expand ?? true };
}

// The heredoc's name as the parser records it: the delimiter word with its quoting removed.
function heredocName(word: string): string | undefined {
  const match = heredocWord.exec(word);
  const rest = match?.[3] ?? '';
  if (rest === '') return undefined;
  let name = '';
  let quote: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const ch = rest[i] as string;
    if (quote === undefined && (ch === '"' || ch === "'")) quote = ch;
    else if (ch === quote) quote = undefined;
    else if (ch === '\\' && quote !== "'" && i + 1 < rest.length) name += rest[++i];
    else name += ch;
  }
  return name;
}
