// The Dockerfile syntax tree: what the parser produces and everything after it consumes.
// Every node carries a source range so that any later error or warning can point at the
// exact text that caused it. Lines and columns are 1-based; a range's end is exclusive.
import type { Range } from '../util/errors.js';

export type { Position, Range } from '../util/errors.js';

/** A parser directive from the head of the file (`# syntax=...`, `# escape=...`, `# check=...`). */
export interface Directive {
  /** Lower-cased directive name. */
  name: 'syntax' | 'escape' | 'check';
  value: string;
  range: Range;
}

/** A leading `--name[=value]` word of an instruction, with quotes and escapes removed. */
export interface Flag {
  /** The whole unquoted word as BuildKit reports it, e.g. `--from=build`. */
  text: string;
  /** The flag name without dashes, e.g. `from`. */
  name: string;
  /** The value after the first `=`; undefined for a bare flag such as `--link`. */
  value: string | undefined;
  range: Range;
}

/** One argument of an instruction (an element of BuildKit's `Next` list). */
export interface ArgNode {
  value: string;
  range: Range;
}

/** A here-document attached to RUN, COPY or ADD (`<<EOF`, `<<-EOF`, `3<<"EOF"`). */
export interface Heredoc {
  /** The delimiter with its quotes removed. */
  name: string;
  /** The body: every line including its newline; leading tabs stripped for `<<-`. */
  content: string;
  /** False when any part of the delimiter was quoted: the body is then taken literally. */
  expand: boolean;
  /** True for `<<-`. */
  chomp: boolean;
  /** The file descriptor prefix of `3<<EOF`, if any. */
  fileDescriptor: number | undefined;
  /** From the `<<` marker's line to the end of the terminator line. */
  range: Range;
}

export interface InstructionNode {
  /** The keyword exactly as written (`FROM`, `from`, `Run`, or an unknown word). */
  keyword: string;
  /** The keyword lower-cased: the instruction's identity. */
  name: string;
  keywordRange: Range;
  flags: Flag[];
  /**
   * The arguments in BuildKit's shape for this instruction (see FORMAT.md section 6):
   * shell form RUN/CMD/ENTRYPOINT/SHELL is a single node holding the command verbatim,
   * ENV/LABEL are key, value, separator triples, and so on.
   */
  args: ArgNode[];
  /** For ONBUILD: the nested instruction. */
  child?: InstructionNode;
  /** True when the arguments were given as a JSON array (exec form). */
  json: boolean;
  /** The argument text after the flags, trimmed, before any splitting. */
  argsText: string;
  argsRange: Range;
  heredocs: Heredoc[];
  /** The logical line as joined from its physical lines (continuations removed). */
  original: string;
  /** Comment lines directly above the instruction, without the leading `#` and one space. */
  prevComment: string[];
  /** From the keyword to the end of the last physical line consumed (heredoc terminators included). */
  range: Range;
}

/** Something legal but suspicious the parser noticed (BuildKit records these as lint warnings). */
export interface ParseWarning {
  /** The BuildKit check rule name, e.g. `NoEmptyContinuation`. */
  rule: string;
  message: string;
  range: Range;
}

export interface DockerfileAST {
  /** Display name used in errors, e.g. `Dockerfile` or `app/Dockerfile.dev`. */
  file: string;
  /** The physical lines of the source (BOM and line endings removed), for error excerpts. */
  lines: string[];
  directives: Directive[];
  escapeToken: '\\' | '`';
  instructions: InstructionNode[];
  warnings: ParseWarning[];
  /** First line of the first instruction to the last line of the last one. */
  startLine: number;
  endLine: number;
}

export interface ParseOptions {
  /** Display name for errors; defaults to `Dockerfile`. */
  file?: string;
}
