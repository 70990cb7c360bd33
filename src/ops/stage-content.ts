// The content key of what a COPY --from selects of a stage (BuildKit's content-based key for a
// copy's source, buildkit.md c.2): the selected files' contents, modes and owners, never their
// times, hashed as the build context's are. A stage rebuilt to the same files (a comment in
// its RUN changed) then leaves the COPY and everything after it cached.
//
// A snapshot never changes, so each selection's key is kept beside it once computed: a rebuild
// hashes nothing, and only a stage result that is new is read, through a read-only view.
import { readFile } from 'node:fs/promises';
import { digestBytes, digestHex, type Digest } from '../content/index.js';
import { openContext, type ContextSelection } from '../contenthash/index.js';
import { withParentView } from '../exporter/index.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { BuildOpContext, SnapshotRef } from './context.js';

/** The key of `selections` of the stage result `ref`. */
export async function stageContentKey(context: BuildOpContext, ref: SnapshotRef, selections: readonly ContextSelection[]): Promise<Digest> {
  const what = JSON.stringify(selections);
  // The empty filesystem (scratch) has nothing to select: its key is the selection alone.
  if (ref.snapshot === undefined) return digestBytes(`empty\0${what}`);
  const { snapshotter } = context;
  const kept = await snapshotter.derivedFile(ref.snapshot, `content-key-${digestHex(digestBytes(what)).slice(0, 32)}.json`);
  const known = await readFile(kept, 'utf8').then((text) => (JSON.parse(text) as { key?: Digest }).key, () => undefined);
  if (known !== undefined) return known;
  const key = await withParentView(snapshotter, ref.snapshot, async (dir) => {
    // Read in place, for this key only: no stat cache is kept for a view that goes away.
    const tree = openContext(context.engine.root, dir, undefined);
    const keys: Digest[] = [];
    for (const selection of selections) keys.push(await tree.checksum(selection));
    return digestBytes(JSON.stringify(keys));
  });
  // Derived, so not synced: lost to a power cut, it is computed again.
  await writeFileAtomic(kept, `${JSON.stringify({ key })}\n`, { durable: false });
  return key;
}
