// Per-instruction flags (BuildKit's instructions/bflag.go): each instruction declares the
// flags it accepts; anything else, a repeated single-use flag, a missing value or a bad
// boolean is an error located at the flag itself.
import type { Flag, Range } from '../ast.js';
import { errorAt, type SourceText } from './errors.js';
import { didYouMean, joinHints } from './suggest.js';

/** bool: `--link[=true|false]`; string: `--from=x` once; strings: `--mount=...` repeatable. */
export type FlagKind = 'bool' | 'string' | 'strings';

export interface FlagSpec {
  name: string;
  kind: FlagKind;
}

export interface ParsedFlags {
  /** Names of the flags given, in order of first use. */
  readonly used: string[];
  readonly ranges: Readonly<Record<string, Range>>;
  has(name: string): boolean;
  bool(name: string): boolean;
  string(name: string): string | undefined;
  /** Every occurrence of a repeatable flag, with its own range. */
  occurrences(name: string): { value: string; range: Range }[];
}

/**
 * Checks `flags` against what `instruction` (upper-case, for messages) accepts. Flag names
 * are case-sensitive as in BuildKit; boolean values are not.
 */
export function parseFlags(instruction: string, flags: readonly Flag[], specs: readonly FlagSpec[], src: SourceText): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values = new Map<string, { value: string; range: Range }[]>();
  const ranges: Record<string, Range> = {};
  for (const flag of flags) {
    const spec = byName.get(flag.name);
    if (spec === undefined) throw unknownFlag(instruction, flag, specs, src);
    const seen = values.get(flag.name);
    if (seen !== undefined && spec.kind !== 'strings') {
      throw errorAt(src, flag.range, `duplicate flag --${flag.name} for ${instruction}`, `give --${flag.name} only once`);
    }
    const value = flagValue(instruction, flag, spec, src);
    values.set(flag.name, [...(seen ?? []), { value, range: flag.range }]);
    ranges[flag.name] = flag.range;
  }
  return {
    used: [...values.keys()],
    ranges,
    has: (name) => values.has(name),
    bool: (name) => values.get(name)?.[0]?.value === 'true',
    string: (name) => values.get(name)?.[0]?.value,
    occurrences: (name) => values.get(name) ?? [],
  };
}

/** The flags an instruction accepts, as `--a, --b` for hints. */
export function describeFlags(specs: readonly FlagSpec[]): string {
  return specs.map((s) => `--${s.name}`).join(', ');
}

function flagValue(instruction: string, flag: Flag, spec: FlagSpec, src: SourceText): string {
  if (spec.kind === 'bool') return boolValue(instruction, flag, src);
  if (flag.value === undefined) {
    throw errorAt(src, flag.range, `missing value for flag --${flag.name} of ${instruction}`, `write --${flag.name}=<value>`);
  }
  return flag.value;
}

function boolValue(instruction: string, flag: Flag, src: SourceText): string {
  const hint = `write --${flag.name}, --${flag.name}=true or --${flag.name}=false`;
  if (flag.value === undefined) return 'true';
  if (flag.value === '') throw errorAt(src, flag.range, `missing value for flag --${flag.name} of ${instruction}`, hint);
  const value = flag.value.toLowerCase();
  if (value === 'true' || value === 'false') return value;
  throw errorAt(src, flag.range, `invalid boolean value "${flag.value}" for flag --${flag.name} of ${instruction}`, hint);
}

function unknownFlag(instruction: string, flag: Flag, specs: readonly FlagSpec[], src: SourceText): Error {
  const message = `unknown flag --${flag.name} for ${instruction}`;
  if (specs.length === 0) return errorAt(src, flag.range, message, `${instruction} takes no flags`);
  const names = specs.map((s) => `--${s.name}`);
  const hint = joinHints(didYouMean(`--${flag.name}`, names, false), `valid flags for ${instruction}: ${describeFlags(specs)}`);
  return errorAt(src, flag.range, message, hint);
}
