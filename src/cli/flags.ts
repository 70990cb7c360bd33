// Parsers for flags that docker users type: repeatable values and `KEY=VALUE` lists.
import { flagError } from './report.js';

export function collectRepeatable(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * `--build-arg K=V` sets K; `--build-arg K` takes K from the environment, and is dropped when
 * the environment has no K, exactly as docker does.
 */
export function parseBuildArgs(values: readonly string[], env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const args: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    const key = eq === -1 ? value : value.slice(0, eq);
    if (key === '') throw flagError('--build-arg', `invalid value "${value}"`, 'use --build-arg KEY=VALUE');
    if (eq !== -1) args[key] = value.slice(eq + 1);
    else if (env[key] !== undefined) args[key] = env[key];
  }
  return args;
}
