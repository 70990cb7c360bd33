// CopyIgnoredFile: a COPY or ADD source from the build context that .dockerignore excludes,
// so the build will not find it (dockerfile2llb/validations.go validateCopySourcePath).
import { PatternMatcher, loadIgnoreFile } from '../ignore.js';
import { cleanPath } from '../ignore-pattern.js';
import type { CommandBase } from '../instructions/index.js';
import type { Linter } from './linter.js';
import { CopyIgnoredFile } from './rules.js';
import type { StageCheck } from './walk.js';

export interface IgnoreRules {
  matcher: PatternMatcher;
  /** A pattern such as `*` excludes every entry of the context, so even `COPY . .` copies nothing. */
  excludesRoot: boolean;
}

// These patterns match every entry at the context root.
const rootPatterns: ReadonlySet<string> = new Set(['*', '**', '**/*']);

/**
 * The context's ignore rules, or undefined when there is nothing to check against. With a
 * `!` line, whether a path is excluded cannot be told from the path alone (a directory may
 * be excluded and a file in it re-included), so BuildKit does not check, and neither do we.
 */
export async function loadIgnoreRules(contextDir: string, dockerfilePath: string): Promise<IgnoreRules | undefined> {
  const file = await loadIgnoreFile(contextDir, dockerfilePath);
  if (file === undefined || file.patterns.length === 0) return undefined;
  const matcher = new PatternMatcher(file.patterns);
  if (matcher.exclusions) return undefined;
  return { matcher, excludesRoot: file.patterns.some((p) => rootPatterns.has(p.pattern)) };
}

export function copyIgnoredRules(rules: IgnoreRules): StageCheck {
  return (_walk, lint) => (step) => {
    const cmd = step.command;
    // COPY --from reads another stage or an image, where .dockerignore does not apply.
    if (cmd.kind === 'add') checkSources('Add', cmd.sources, step.parsed, rules, lint);
    else if (cmd.kind === 'copy' && cmd.from === undefined) checkSources('Copy', cmd.sources, step.parsed, rules, lint);
  };
}

function checkSources(command: 'Copy' | 'Add', sources: readonly string[], at: CommandBase, rules: IgnoreRules, lint: Linter): void {
  for (const source of sources) {
    if (isRemote(source)) continue;
    const path = cleanPath(source);
    const isRoot = path === '.' || path === '/';
    const excluded = isRoot ? rules.excludesRoot : rules.matcher.matches(path);
    if (excluded) lint.report(CopyIgnoredFile, CopyIgnoredFile.format(command, path), at);
  }
}

// ADD's URLs and git repositories do not come from the context.
function isRemote(source: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(source) || /^git@/.test(source);
}
