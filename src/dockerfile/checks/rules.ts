// The build-check rules (BuildKit's frontend/dockerfile/linter/ruleset.go): name, description,
// documentation URL and the message each warning carries. The names, descriptions and
// messages are what users see, search for and put in `# check=skip=...`, so they follow
// BuildKit's wording. InvalidBaseImagePlatform is absent: it needs the base image's config.

export interface CheckRule<A extends unknown[] = never[]> {
  name: string;
  description: string;
  url: string;
  /** Experimental rules run only when `# check=experimental=<name|all>` asks for them. */
  experimental: boolean;
  format: (...args: A) => string;
}

/** The identity of a rule, without its message formatter. */
export type RuleInfo = Omit<CheckRule<never[]>, 'format'>;

/** `JSONArgsRecommended` → `json-args-recommended`: an acronym stays one word. */
export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

function rule<A extends unknown[]>(name: string, description: string, format: (...args: A) => string, experimental = false): CheckRule<A> {
  return { name, description, url: `https://docs.docker.com/go/dockerfile/rule/${kebabCase(name)}/`, experimental, format };
}

const suggestion = (prefix: string, match: string | undefined): string => (match === undefined ? '' : ` (did you mean ${prefix}${match}?)`);

export const StageNameCasing = rule('StageNameCasing', 'Stage names should be lowercase', (stage: string) =>
  `Stage name '${stage}' should be lowercase`);

export const FromAsCasing = rule('FromAsCasing', "The 'as' keyword should match the case of the 'from' keyword", (from: string, as: string) =>
  `'${as}' and '${from}' keywords' casing do not match`);

export const NoEmptyContinuation = rule('NoEmptyContinuation', 'Empty continuation lines will become errors in a future release', () =>
  'Empty continuation line');

export const ConsistentInstructionCasing = rule(
  'ConsistentInstructionCasing',
  'All commands within the Dockerfile should use the same casing (either upper or lower)',
  (command: string, casing: 'lowercase' | 'uppercase') => `Command '${command}' should match the case of the command majority (${casing})`,
);

export const DuplicateStageName = rule('DuplicateStageName', 'Stage names should be unique', (stage: string) =>
  `Duplicate stage name ${goQuote(stage)}, stage names should be unique`);

export const ReservedStageName = rule('ReservedStageName', 'Reserved words should not be used as stage names', (stage: string) =>
  `Stage name should not use the same name as reserved stage ${goQuote(stage)}`);

export const JSONArgsRecommended = rule(
  'JSONArgsRecommended',
  'JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals',
  (instruction: string) => `JSON arguments recommended for ${instruction} to prevent unintended behavior related to OS signals`,
);

export const MaintainerDeprecated = rule(
  'MaintainerDeprecated',
  'The MAINTAINER instruction is deprecated, use a label instead to define an image author',
  () => 'Maintainer instruction is deprecated in favor of using label',
);

export const UndefinedArgInFrom = rule('UndefinedArgInFrom', 'FROM command must use declared ARGs', (arg: string, match?: string) =>
  `FROM argument '${arg}' is not declared${suggestion('', match)}`);

export const WorkdirRelativePath = rule(
  'WorkdirRelativePath',
  'Relative workdir without an absolute workdir declared within the build can have unexpected results if the base image changes',
  (workdir: string) => `Relative workdir ${goQuote(workdir)} can have unexpected results if the base image changes`,
);

export const UndefinedVar = rule('UndefinedVar', 'Variables should be defined before their use', (name: string, match?: string) =>
  `Usage of undefined variable '$${name}'${suggestion('$', match)}`);

export const MultipleInstructionsDisallowed = rule(
  'MultipleInstructionsDisallowed',
  'Multiple instructions of the same type should not be used in the same stage',
  (instruction: string) => `Multiple ${instruction} instructions should not be used in the same stage because only the last one will be used`,
);

export const LegacyKeyValueFormat = rule(
  'LegacyKeyValueFormat',
  'Legacy key/value format with whitespace separator should not be used',
  (instruction: string) => `"${instruction} key=value" should be used instead of legacy "${instruction} key value" format`,
);

export const RedundantTargetPlatform = rule(
  'RedundantTargetPlatform',
  'Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior',
  (platform: string) => `Setting platform to predefined ${platform} in FROM is redundant as this is the default behavior`,
);

export const SecretsUsedInArgOrEnv = rule(
  'SecretsUsedInArgOrEnv',
  'Sensitive data should not be used in the ARG or ENV commands',
  (instruction: 'ARG' | 'ENV', key: string) => `Do not use ARG or ENV instructions for sensitive data (${instruction} ${goQuote(key)})`,
);

export const InvalidDefaultArgInFrom = rule(
  'InvalidDefaultArgInFrom',
  'Default value for global ARG results in an empty or invalid base image name',
  (baseName: string) => `Default value for ARG ${baseName} results in empty or invalid base image name`,
);

export const FromPlatformFlagConstDisallowed = rule(
  'FromPlatformFlagConstDisallowed',
  'FROM --platform flag should not use a constant value',
  (platform: string) => `FROM --platform flag should not use constant value ${goQuote(platform)}`,
);

export const CopyIgnoredFile = rule(
  'CopyIgnoredFile',
  'Attempting to Copy file that is excluded by .dockerignore',
  (command: 'Copy' | 'Add', file: string) => `Attempting to ${command} file ${goQuote(file)} that is excluded by .dockerignore`,
);

export const InvalidDefinitionDescription = rule(
  'InvalidDefinitionDescription',
  'Comment for build stage or argument should follow the format: `# <arg/stage name> <description>`. If this is not intended to be a description comment, add an empty line or comment between the instruction and the comment.',
  (instruction: 'FROM' | 'ARG', name: string) => `Comment for ${instruction} should follow the format: \`# ${name} <description>\``,
  true,
);

export const ExposeProtoCasing = rule('ExposeProtoCasing', 'Protocol in EXPOSE instruction should be lowercase', (port: string) =>
  `Defined protocol '${port}' in EXPOSE instruction should be lowercase`);

export const ExposeInvalidFormat = rule(
  'ExposeInvalidFormat',
  'IP address and host-port mapping should not be used in EXPOSE instruction. This will become an error in a future release',
  (port: string) => `EXPOSE instruction should not define an IP address or host-port mapping, found '${port}'`,
);

/** Every rule kiln implements, in BuildKit's order. */
export const allRules: readonly RuleInfo[] = [
  StageNameCasing, FromAsCasing, NoEmptyContinuation, ConsistentInstructionCasing, DuplicateStageName,
  ReservedStageName, JSONArgsRecommended, MaintainerDeprecated, UndefinedArgInFrom, WorkdirRelativePath,
  UndefinedVar, MultipleInstructionsDisallowed, LegacyKeyValueFormat, RedundantTargetPlatform,
  SecretsUsedInArgOrEnv, InvalidDefaultArgInFrom, FromPlatformFlagConstDisallowed, CopyIgnoredFile,
  InvalidDefinitionDescription, ExposeProtoCasing, ExposeInvalidFormat,
];

/**
 * Go's `%q` for the strings these messages quote: double quotes, with backslash, quote and
 * control characters escaped (JSON's escaping agrees with Go's for these).
 */
export function goQuote(text: string): string {
  return JSON.stringify(text).replace(/\\u00([0-9a-f]{2})/g, '\\x$1');
}
