// Lazy snapshots: a committed snapshot whose content is, at first, only a layer blob in the
// content store (BuildKit's lazy refs). A COPY from the build context writes its layer straight
// from the context's files (ops/copy-layer.ts) and commits it this way: when nothing later
// mounts it, no file is ever created on disk. The first mount over it (a RUN, a view, a COPY
// onto it) unpacks the layer into the snapshot's `fs` dir, once.
//
// A lazy snapshot's directory holds its record and no `fs` dir until then; the unpack happens
// in a temp dir beside the snapshots and the finished tree is renamed in as `fs`, so after a
// crash the snapshot is either still lazy or whole, and a half-unpacked tree is a temp dir that
// cleanup removes. Having children implies having been unpacked: a child is only ever created
// over a mounted (so unpacked) parent.
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContentStore } from '../content/index.js';
import { KilnError } from '../util/errors.js';
import { makeTempDir, type SnapshotRecord } from './metadata.js';

export function fsDir(snapshotsDir: string, id: string): string {
  return join(snapshotsDir, id, 'fs');
}

/** A lazy snapshot not yet unpacked: its tree exists only as its layer blob. */
export function isUnpacked(snapshotsDir: string, record: SnapshotRecord): boolean {
  return record.lazy === undefined || existsSync(fsDir(snapshotsDir, record.id));
}

/**
 * Unpacks a lazy snapshot's layer into its `fs` dir. Two unpackers racing (two processes) both
 * finish, the first rename wins and the second's tree is thrown away.
 */
export async function unpackLazy(content: ContentStore | undefined, snapshotsDir: string, record: SnapshotRecord, signal?: AbortSignal): Promise<void> {
  const lazy = record.lazy;
  if (lazy === undefined || isUnpacked(snapshotsDir, record)) return;
  if (content === undefined) {
    throw new KilnError('INTERNAL', `snapshot "${record.key}" is held as a layer blob, and this snapshotter has no content store to read it from`);
  }
  if ((await content.info(lazy.layer.digest)) === undefined) {
    throw new KilnError('NOT_FOUND', `the layer of snapshot "${record.key}" (${lazy.layer.digest}) is no longer in the content store`, {
      hint: 'run the build again with --no-cache, or prune the build cache (kiln builder prune)',
    });
  }
  const temp = makeTempDir(snapshotsDir);
  try {
    await mkdir(join(temp, 'fs'));
    const { unpackLayer } = await import('./unpack-layer.js');
    await unpackLayer(content, lazy.layer, lazy.diffId, join(temp, 'fs'), signal);
    await rename(join(temp, 'fs'), fsDir(snapshotsDir, record.id)).catch((err: NodeJS.ErrnoException) => {
      // Another unpacker got there first: its tree is the same layer's.
      if (err.code !== 'EEXIST' && err.code !== 'ENOTEMPTY') throw err;
    });
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
