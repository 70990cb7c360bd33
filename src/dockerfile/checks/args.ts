// Rules about the key/value instructions, checked while dispatching: LegacyKeyValueFormat
// (ENV, LABEL) and SecretsUsedInArgOrEnv (ARG, ENV) (dockerfile2llb/convert.go,
// validations.go). Global ARGs are not dispatched, so they are not checked for secrets.
import type { CommandBase } from '../instructions/index.js';
import type { Linter } from './linter.js';
import { LegacyKeyValueFormat, SecretsUsedInArgOrEnv } from './rules.js';
import type { StageCheck } from './walk.js';

// A name whose first or last `_`-separated word is one of these looks like a secret, unless
// a word says it is not one (`PUBLIC_KEY`, `KEY_FILE`, `TOKEN_VERSION`).
const secretWord = /(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)/i;
const notSecretWord = /(?:_|^)(?:public|file|version)(?:_|$)/i;

function looksLikeSecret(name: string): boolean {
  return secretWord.test(name) && !notSecretWord.test(name);
}

export const keyValueRules: StageCheck = (_walk, lint) => (step) => {
  const cmd = step.command;
  switch (cmd.kind) {
    case 'env':
      for (const pair of cmd.env) {
        if (pair.legacy) reportLegacy(step.parsed, lint);
        reportSecret('ENV', pair.key, step.parsed, lint);
      }
      return;
    case 'label':
      for (const pair of cmd.labels) if (pair.legacy) reportLegacy(step.parsed, lint);
      return;
    case 'arg':
      for (const arg of cmd.args) reportSecret('ARG', arg.key, step.parsed, lint);
      return;
    default:
      return;
  }
};

function reportLegacy(at: CommandBase, lint: Linter): void {
  lint.report(LegacyKeyValueFormat, LegacyKeyValueFormat.format(at.keyword), at);
}

function reportSecret(instruction: 'ARG' | 'ENV', key: string, at: CommandBase, lint: Linter): void {
  if (looksLikeSecret(key)) lint.report(SecretsUsedInArgOrEnv, SecretsUsedInArgOrEnv.format(instruction, key), at);
}
