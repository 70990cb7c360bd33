// Rendering a check report for a person, as `docker build --check` does: per warning, the
// rule and its documentation URL, the located message and the source line with carets;
// then one summary line.
import { sourceExcerpt } from '../../util/excerpt.js';
import { KilnError } from '../../util/errors.js';
import type { DockerfileAST } from '../ast.js';
import type { CheckReport, CheckWarning } from './linter.js';

export function formatCheckWarning(warning: CheckWarning, ast: DockerfileAST): string {
  const { start } = warning.range;
  const text = ast.lines[start.line - 1] ?? '';
  return [
    `WARNING: ${warning.rule} - ${warning.url}`,
    `${warning.file}:${start.line}:${start.column}: ${warning.message}`,
    ...sourceExcerpt(text, warning.range),
  ].join('\n');
}

/** The whole output of a check: the warnings, a blank line between them, then the summary. */
export function formatCheckReport(report: CheckReport, ast: DockerfileAST): string {
  const blocks = report.warnings.map((w) => formatCheckWarning(w, ast));
  return [...blocks, checkSummary(report)].join('\n\n') + '\n';
}

export function checkSummary(report: CheckReport): string {
  const n = report.warnings.length;
  if (n === 0) return 'Check complete, no warnings found.';
  return n === 1 ? 'Check complete, 1 warning has been found!' : `Check complete, ${n} warnings have been found!`;
}

/**
 * The error a build fails with under `check=error=true` when there are warnings (BuildKit's
 * "lint violation found for rules: ..."); each rule named once, in the order of the report.
 */
export function lintViolationError(report: CheckReport): KilnError {
  const rules = [...new Set(report.warnings.map((w) => w.rule))];
  return new KilnError('FAILED_PRECONDITION', `lint violation found for rules: ${rules.join(', ')}`, {
    hint: 'the Dockerfile sets check=error=true: fix the warnings, or skip their rules with check=skip=<rule,...>',
  });
}
