// Which checks run: the `# check=` parser directive (or the BUILDKIT_DOCKERFILE_CHECK
// build-arg, which replaces it), and the same syntax in a comment directly above an
// instruction, which adds to the file's settings for that instruction only
// (BuildKit's linter.ParseLintOptions and WithMergedConfigFromComments).
//
// Syntax: `skip=<rule,...|all>;error=<bool>;experimental=<rule,...|all>`. As in BuildKit, at
// most three `;`-separated parts are read, and in a directive or comment the value ends at
// its first space.
import { KilnError, sourceError } from '../../util/errors.js';
import type { DockerfileAST } from '../ast.js';
import type { RuleInfo } from './rules.js';

export interface CheckConfig {
  skipAll: boolean;
  skip: ReadonlySet<string>;
  experimentalAll: boolean;
  experimental: ReadonlySet<string>;
  /** `error=true`: any warning fails the build. */
  error: boolean;
}

const defaultCheckConfig: CheckConfig = { skipAll: false, skip: new Set(), experimentalAll: false, experimental: new Set(), error: false };

/** The build-arg that replaces the file's `# check=` directive, as in BuildKit. */
const checkBuildArg = 'BUILDKIT_DOCKERFILE_CHECK';

export class CheckOptionError extends Error {}

const optionsHint = 'write check=skip=<rule,...|all>;error=<true|false>;experimental=<rule,...|all>, with no spaces';

/** Parses a `check` value; throws CheckOptionError for a malformed one. */
export function parseCheckOptions(value: string): CheckConfig {
  const text = value.trim();
  const config = { ...defaultCheckConfig };
  if (text === '') return config;
  for (const part of splitN(text, ';', 3)) {
    const eq = part.indexOf('=');
    if (eq === -1) throw new CheckOptionError(`invalid check option ${JSON.stringify(part)}`);
    applyOption(config, part.slice(0, eq).trim(), part.slice(eq + 1).trim(), part);
  }
  return config;
}

function applyOption(config: CheckConfig, key: string, value: string, part: string): void {
  switch (key) {
    case 'skip':
      if (value === 'all') config.skipAll = true;
      else config.skip = ruleList(value);
      return;
    case 'experimental':
      if (value === 'all') config.experimentalAll = true;
      else config.experimental = ruleList(value);
      return;
    case 'error':
      config.error = parseGoBool(value, part);
      return;
    default:
      throw new CheckOptionError(`invalid check option ${JSON.stringify(key)}`);
  }
}

/**
 * The settings for the whole file: the BUILDKIT_DOCKERFILE_CHECK build-arg if given, else the
 * `# check=` directive. A malformed value is an error, as it fails a BuildKit build.
 */
export function fileCheckConfig(ast: DockerfileAST, buildArgs: Readonly<Record<string, string>>): CheckConfig {
  const fromArg = buildArgs[checkBuildArg];
  if (fromArg !== undefined) {
    try {
      return parseCheckOptions(fromArg);
    } catch (err) {
      if (!(err instanceof CheckOptionError)) throw err;
      throw new KilnError('INVALID_ARGUMENT', `failed to parse ${checkBuildArg}: ${err.message}`, { hint: optionsHint, details: { flag: '--build-arg' } });
    }
  }
  const directive = ast.directives.find((d) => d.name === 'check');
  if (directive === undefined) return defaultCheckConfig;
  try {
    return parseCheckOptions(firstWord(directive.value));
  } catch (err) {
    if (!(err instanceof CheckOptionError)) throw err;
    const text = ast.lines[directive.range.start.line - 1] ?? '';
    throw sourceError(`failed to parse check options: ${err.message}`, { file: ast.file, range: directive.range, text }, optionsHint);
  }
}

/**
 * The settings for one instruction: the file's, plus the first `check=` comment above it.
 * Such a comment can skip more rules or enable experimental ones, never turn `error` on or
 * re-enable a skipped rule; a malformed one is ignored, as BuildKit does.
 */
export function scopedCheckConfig(config: CheckConfig, comments: readonly string[]): CheckConfig {
  for (const comment of comments) {
    const value = checkCommentValue(comment);
    if (value === undefined) continue;
    try {
      return mergeConfig(config, parseCheckOptions(firstWord(value)));
    } catch (err) {
      if (err instanceof CheckOptionError) return config;
      throw err;
    }
  }
  return config;
}

/** Whether `rule` reports under `config`; an experimental rule ignores `skip`, as in BuildKit. */
export function ruleEnabled(config: CheckConfig, rule: RuleInfo): boolean {
  if (rule.experimental) return config.experimentalAll || config.experimental.has(rule.name);
  return !config.skipAll && !config.skip.has(rule.name);
}

// A comment is a check directive when it reads `check=<value>` (name case-insensitive),
// the same shape as a parser directive at the head of the file.
function checkCommentValue(comment: string): string | undefined {
  const match = /^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/.exec(comment.trimStart());
  if (match === null || match[1]?.toLowerCase() !== 'check') return undefined;
  return match[2];
}

function mergeConfig(base: CheckConfig, extra: CheckConfig): CheckConfig {
  return {
    skipAll: base.skipAll || extra.skipAll,
    skip: new Set([...base.skip, ...extra.skip]),
    experimentalAll: base.experimentalAll || extra.experimentalAll,
    experimental: new Set([...base.experimental, ...extra.experimental]),
    error: base.error,
  };
}

function firstWord(value: string): string {
  const space = value.indexOf(' ');
  return space === -1 ? value : value.slice(0, space);
}

function ruleList(raw: string): Set<string> {
  return new Set(raw.split(',').map((r) => r.trim()));
}

// Go's strconv.ParseBool.
function parseGoBool(raw: string, part: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(raw)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(raw)) return false;
  throw new CheckOptionError(`failed to parse check option ${JSON.stringify(part)}: ${JSON.stringify(raw)} is not a boolean`);
}

// Go's strings.SplitN: at most `n` parts, the last one holding the rest.
function splitN(text: string, sep: string, n: number): string[] {
  const parts = text.split(sep);
  return parts.length <= n ? parts : [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}
