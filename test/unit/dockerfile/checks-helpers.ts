// Shared by the build-check tests: run the checks on Dockerfile text and summarise warnings
// as `Rule@line:column message`, which pins the rule, the location and the text at once.
import { parseDockerfile } from '../../../src/dockerfile/parser.js';
import { runChecks, type CheckReport, type RunChecksOptions } from '../../../src/dockerfile/checks/index.js';

export async function check(text: string, options: RunChecksOptions = {}): Promise<CheckReport> {
  return runChecks(parseDockerfile(text, { file: 'Dockerfile' }), options);
}

export function brief(report: CheckReport): string[] {
  return report.warnings.map((w) => `${w.rule}@${w.range.start.line}:${w.range.start.column} ${w.message}`);
}

/** The warnings of one rule only, briefly. */
export async function warningsOf(rule: string, text: string, options: RunChecksOptions = {}): Promise<string[]> {
  const report = await check(text, options);
  return brief({ ...report, warnings: report.warnings.filter((w) => w.rule === rule) });
}
