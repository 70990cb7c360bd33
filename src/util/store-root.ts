// Where the store lives when nobody says: $KILN_ROOT, else /var/lib/kiln for root and the XDG
// data directory otherwise. Its own module, as the CLI's daemon client needs the rule without
// loading the engine.
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The built-in root, ignoring $KILN_ROOT: the one whose daemon socket lives under /run. */
export function builtinRoot(env: NodeJS.ProcessEnv = process.env): string {
  return process.getuid?.() === 0 ? '/var/lib/kiln' : join(env['XDG_DATA_HOME'] ?? join(homedir(), '.local', 'share'), 'kiln');
}

/** $KILN_ROOT, else the built-in root. */
export function defaultRoot(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['KILN_ROOT'];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : builtinRoot(env);
}
