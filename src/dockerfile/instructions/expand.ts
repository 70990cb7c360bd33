// Variable expansion of a command's words with the env of the stage at that point, following
// what each BuildKit command's Expand/ExpandRaw touches. RUN/CMD/ENTRYPOINT/SHELL bodies and
// HEALTHCHECK are left to the shell; COPY --from is never expanded. Every expanded word is
// recorded with the names it used and the names it did not find (the UndefinedVar check).
import type { Range } from '../ast.js';
import { ShellLex, type Env, type WordResult } from '../words.js';
import { withLocation, type SourceText } from './errors.js';
import type { AddCommand, Command, CopyCommand, InlineSource, KeyValuePair } from './types.js';

export interface ExpansionRecord {
  word: string;
  result: string;
  matched: string[];
  unmatched: string[];
  /** The instruction the word belongs to (BuildKit reports at the instruction). */
  range: Range;
}

/**
 * Expands words of one instruction against a fixed env, recording what it did. A lenient
 * expander works for a scope whose base-image env is not known yet: a word that uses a
 * variable the env lacks, or fails to expand, makes the result provisional instead of final
 * (a failing word is kept as written), so that planning never reports an error that the
 * image's env would have prevented.
 */
export class WordExpander {
  readonly records: ExpansionRecord[] = [];
  private unknownUsed = false;

  constructor(
    private readonly lexers: Lexers,
    private readonly env: Env,
    private readonly src: SourceText,
    private readonly range: Range,
    /** Set for an incomplete scope: which defined names hold provisional values. */
    private readonly lenient?: { uncertain: ReadonlySet<string> },
  ) {}

  /** True when a lenient expansion depended on variables the env may still define. */
  get provisional(): boolean {
    return this.unknownUsed;
  }

  /** One word, quotes removed (ENV values, paths, flag values...). */
  word(word: string): string {
    return this.expand(word, this.lexers.word, true).value;
  }

  /** A heredoc body: quotes are ordinary characters, only variables and escapes are processed. */
  raw(word: string): string {
    return this.expand(word, this.lexers.raw, true).value;
  }

  /** A word split into fields after expansion (EXPOSE); like BuildKit, not recorded. */
  fields(word: string): string[] {
    return this.expand(word, this.lexers.word, false).words;
  }

  private expand(word: string, lex: ShellLex, recorded: boolean): { value: string; words: string[] } {
    let result: WordResult;
    try {
      result = lex.processWord(word, this.env);
    } catch (err) {
      if (this.lenient === undefined) throw withLocation(err, this.src, this.range);
      this.unknownUsed = true;
      return { value: word, words: [word] };
    }
    if (this.lenient !== undefined && dependsOnUnknown(result, this.lenient.uncertain)) this.unknownUsed = true;
    if (recorded) {
      this.records.push({ word, result: result.value, matched: [...result.matched], unmatched: [...result.unmatched], range: this.range });
    }
    return result;
  }
}

function dependsOnUnknown(result: WordResult, uncertain: ReadonlySet<string>): boolean {
  return result.unmatched.size > 0 || [...result.matched].some((name) => uncertain.has(name));
}

/** The two lexers dispatch needs: the file's escape token, and BuildKit's raw one for heredocs. */
export interface Lexers {
  word: ShellLex;
  raw: ShellLex;
}

export function makeLexers(escapeToken: '\\' | '`'): Lexers {
  return { word: new ShellLex(escapeToken), raw: new ShellLex('\\', { skipProcessQuotes: true }) };
}

/**
 * A copy of `cmd` with its expandable words expanded. ARG is left alone: its defaults depend
 * on build-args and are handled by the dispatcher.
 */
export function expandCommand(cmd: Command, ex: WordExpander): Command {
  const one = (w: string): string => ex.word(w);
  const maybe = (w: string | undefined): string | undefined => (w === undefined ? undefined : ex.word(w));
  switch (cmd.kind) {
    case 'env':
      return { ...cmd, env: expandPairs(cmd.env, ex) };
    case 'label':
      return { ...cmd, labels: expandPairs(cmd.labels, ex) };
    case 'add':
      return { ...cmd, chown: maybe(cmd.chown), chmod: maybe(cmd.chmod), checksum: maybe(cmd.checksum), ...expandPaths(cmd, ex) };
    case 'copy':
      return { ...cmd, chown: maybe(cmd.chown), chmod: maybe(cmd.chmod), ...expandPaths(cmd, ex) };
    case 'workdir':
      return { ...cmd, path: one(cmd.path) };
    case 'user':
      return { ...cmd, user: one(cmd.user) };
    case 'volume':
      return { ...cmd, volumes: cmd.volumes.map(one) };
    case 'stopsignal':
      return { ...cmd, signal: one(cmd.signal) };
    case 'expose':
      return { ...cmd, ports: cmd.ports.flatMap((p) => ex.fields(p)) };
    default:
      return cmd;
  }
}

function expandPairs(pairs: readonly KeyValuePair[], ex: WordExpander): KeyValuePair[] {
  return pairs.map((p) => ({ ...p, key: ex.word(p.key), value: ex.word(p.value) }));
}

// Sources, then destination, then heredoc bodies: the order BuildKit expands them in.
function expandPaths(cmd: AddCommand | CopyCommand, ex: WordExpander): Pick<CopyCommand, 'sources' | 'dest' | 'contents'> {
  const sources = cmd.sources.map((s) => ex.word(s));
  const dest = ex.word(cmd.dest);
  const contents = cmd.contents.map((c): InlineSource => (c.expand ? { ...c, data: ex.raw(c.data) } : c));
  return { sources, dest, contents };
}
