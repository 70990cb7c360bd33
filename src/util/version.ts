import { readFileSync } from 'node:fs';
import { packageFile } from './package-root.js';

let cached: string | undefined;

/** The package version, read once from the package's package.json. */
export function kilnVersion(): string {
  cached ??= (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version;
  return cached;
}
