// Build checks (BuildKit's Dockerfile linter): warnings with locations for Dockerfile
// constructs that are legal but likely wrong, controlled by `# check=` directives.
export { runChecks, type RunChecksOptions } from './run.js';
export { formatCheckReport, formatCheckWarning, checkSummary, lintViolationError } from './format.js';
export type { CheckReport, CheckWarning } from './linter.js';
export { parseCheckOptions, CheckOptionError, type CheckConfig } from './options.js';
export { allRules, type RuleInfo } from './rules.js';
