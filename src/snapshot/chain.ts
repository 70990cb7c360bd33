// A snapshot's chain: the snapshot and its ancestors, bottom first (an image's layers, then a
// build's steps on top), as the exporter and the merge op both walk it.
import type { OverlaySnapshotter } from './snapshotter.js';

/** Keys of `top` and its ancestors, bottom first; empty for undefined (the empty filesystem). */
export async function snapshotChain(snapshotter: OverlaySnapshotter, top: string | undefined): Promise<string[]> {
  const chain: string[] = [];
  for (let key = top; key !== undefined; key = (await snapshotter.stat(key)).parent) chain.unshift(key);
  return chain;
}
