// Where the kiln package lives, for the files it reads and the programs it starts from itself.
// This module sits two levels below the package root in src/ (run through tsx), in dist/ (built)
// and in the bundled CLI (dist/bin/), so one relative URL is right in all three.
import { fileURLToPath } from 'node:url';

const root = new URL('../../', import.meta.url);

/** Run from the TypeScript sources (tests, tsx) rather than the build. */
const fromSources = import.meta.url.endsWith('.ts');

/** The package's directory. */
export function packageRoot(): string {
  return fileURLToPath(root);
}

export function packageFile(relative: string): URL {
  return new URL(relative, root);
}

/** The kilnd entry of this same build: src/daemon/main.ts under tsx, dist/daemon/main.js built. */
export function daemonEntry(): string {
  return fileURLToPath(packageFile(fromSources ? 'src/daemon/main.ts' : 'dist/daemon/main.js'));
}
