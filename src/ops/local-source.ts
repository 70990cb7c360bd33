// `local://NAME`: a directory of the client's (the build context) read in place. Its result is
// the BuildContext that whoever started the build opened; it is never cached (a context is new
// each build, as BuildKit's session-scoped local source), and what a COPY takes from it is
// keyed by content instead (file.ts).
import { randomBytes } from 'node:crypto';
import { digestBytes } from '../content/index.js';
import type { Op } from '../solver/index.js';
import { KilnError } from '../util/errors.js';
import type { BuildOpContext, SnapshotRef } from './context.js';

const scheme = 'local://';

export function isLocalSource(identifier: string): boolean {
  return identifier.startsWith(scheme);
}

export function localSourceOp(context: BuildOpContext, identifier: string): Op<SnapshotRef> {
  const name = identifier.slice(scheme.length);
  const local = context.locals?.get(name);
  if (local === undefined) throw new KilnError('INVALID_ARGUMENT', `the build has no local source "${name}"`);
  // Session-scoped: no key of one build's context equals another's.
  const session = randomBytes(16).toString('hex');
  return {
    outputs: 1,
    volatile: true,
    cacheMap: async () => ({ digest: digestBytes(JSON.stringify(['local', name, session])), deps: [] }),
    exec: async () => [{ snapshot: undefined, context: local }],
  };
}
