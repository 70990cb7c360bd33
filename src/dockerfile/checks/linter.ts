// Collecting warnings: each check reports what it found, and the linter keeps it unless the
// settings in force for that instruction (the file's `# check=`, plus a `check=` comment
// above the instruction) turn the rule off.
import type { Range } from '../ast.js';
import { ruleEnabled, scopedCheckConfig, type CheckConfig } from './options.js';
import type { RuleInfo } from './rules.js';

export interface CheckWarning {
  rule: string;
  description: string;
  url: string;
  message: string;
  range: Range;
  file: string;
  experimental: boolean;
}

export interface CheckReport {
  /** Sorted by position in the file. */
  warnings: CheckWarning[];
  /** `check=error=true` is set and there are warnings: the build must fail. */
  failed: boolean;
}

/**
 * Where a warning points, and the comments whose `check=` settings decide whether it is
 * shown: those above the instruction that triggered it (a typed command or FROM has both).
 */
export interface CheckSite {
  range: Range;
  comments: readonly string[];
}

export class Linter {
  readonly #warnings: CheckWarning[] = [];

  constructor(
    private readonly file: string,
    private readonly config: CheckConfig,
  ) {}

  report(rule: RuleInfo, message: string, site: CheckSite): void {
    const config = site.comments.length === 0 ? this.config : scopedCheckConfig(this.config, site.comments);
    if (!ruleEnabled(config, rule)) return;
    const { name, description, url, experimental } = rule;
    this.#warnings.push({ rule: name, description, url, message, range: site.range, file: this.file, experimental });
  }

  /** The warnings by position (ties keep the order they were found in), and the verdict. */
  finish(): CheckReport {
    const warnings = [...this.#warnings].sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.column - b.range.start.column);
    return { warnings, failed: this.config.error && warnings.length > 0 };
  }
}
