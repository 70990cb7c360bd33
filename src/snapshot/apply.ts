// Applying a layer tar to a directory: containerd's archive.Apply for a plain directory
// (the copy snapshotter, or a fresh overlay upper dir), following OCI image-spec layer.md.
//
// The tar is streamed: each file's content goes straight to its file, so memory stays flat
// whatever the layer's size. On the first bad entry the apply stops and throws; entries
// already written stay in the target (the caller owns it and discards the snapshot), but
// nothing outside the target is ever created, changed or removed.
//
// Extended attributes (PAX `SCHILY.xattr.*` and `LIBARCHIVE.xattr.*`) are applied where the
// filesystem allows them, once per layer through setfattr (xattr.ts); those it refuses are
// counted in the result, not fatal. Not applied: device nodes when not root (mknod needs
// CAP_MKNOD), as rootless containerd does.
import { utimes } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract, type Header } from 'tar-stream';
import { isKilnError, KilnError } from '../util/errors.js';
import { applyEntry, drain, entryChunks, TarDataError, type ApplyContext } from './entry.js';
import { captureXattrs } from './pax-xattr.js';
import { LayerPaths } from './whiteout.js';
import { applyXattrs, LayerXattrs } from './xattr.js';

export interface ApplyOptions {
  /** Apply ownership (needs root); default: process.getuid() === 0. */
  chown?: boolean;
  signal?: AbortSignal;
  /**
   * 'apply' (default): whiteouts delete from the target, which holds the lower layers' merged
   * content (the copy snapshotter). 'overlay': the target holds this layer alone and becomes
   * an overlay lowerdir, so whiteouts are written in overlayfs's format (overlay-whiteout.ts).
   */
  whiteouts?: 'apply' | 'overlay';
}

export interface ApplyResult {
  /** Entries applied (skipped entries such as device nodes without root are not counted). */
  entries: number;
  /** Bytes of regular-file content written. */
  bytes: number;
  /** Extended attributes set. */
  xattrs: number;
  /** Extended attributes the filesystem refused (or all of them, without setfattr). */
  skippedXattrs: number;
  /** Why, for the first few skipped attributes: `<entry>: <attribute>: <reason>`. */
  xattrWarnings: string[];
}

const gzipMagic = [0x1f, 0x8b];

/** Yields the layer's bytes, gunzipped if they start with the gzip magic. */
async function* layerBytes(tar: Readable): AsyncGenerator<Buffer> {
  const chunks = tar[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head = Buffer.alloc(0);
  while (head.length < gzipMagic.length) {
    const step = await chunks.next();
    if (step.done) break;
    head = Buffer.concat([head, step.value]);
  }
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (let step = await chunks.next(); step.done !== true; step = await chunks.next()) yield step.value;
  }
  if (head[0] !== gzipMagic[0] || head[1] !== gzipMagic[1]) {
    yield* all();
    return;
  }
  const gunzip = createGunzip();
  const feeding = pipeline(all(), gunzip);
  feeding.catch(() => undefined);
  for await (const chunk of gunzip) yield chunk as Buffer;
  await feeding;
}

function corruptTar(err: unknown): KilnError {
  const reason = err instanceof Error ? err.message : String(err);
  return new KilnError('INVALID_ARGUMENT', `layer tar is truncated or corrupt: ${reason}`, {
    hint: 'the layer blob is damaged; pull or build it again',
    cause: err,
  });
}

function entryFailure(err: unknown, header: Header): unknown {
  if (isKilnError(err)) return err;
  if (err instanceof TarDataError) return corruptTar(err);
  const reason = err instanceof Error ? err.message : String(err);
  return new KilnError('INTERNAL', `applying layer entry "${header.name}" failed: ${reason}`, { cause: err });
}

function abortCheck(signal: AbortSignal | undefined): () => void {
  return () => {
    if (signal?.aborted) throw new KilnError('CANCELED', 'applying the layer was canceled', { cause: signal.reason });
  };
}

export async function applyLayer(target: string, tar: Readable, options: ApplyOptions = {}): Promise<ApplyResult> {
  const root = process.getuid?.() === 0;
  const parser = extract();
  const ctx: ApplyContext = {
    root: target,
    chown: options.chown ?? root,
    canMknod: root,
    written: new LayerPaths(),
    directoryTimes: [],
    xattrs: new LayerXattrs(),
    xattrsOf: captureXattrs(parser),
    checkAbort: abortCheck(options.signal),
    whiteouts: options.whiteouts ?? 'apply',
  };
  const parsing = pipeline(layerBytes(tar), parser);
  // A failure here also surfaces through the entry iterator; this only stops it going unhandled.
  parsing.catch(() => undefined);
  const entries = parser[Symbol.asyncIterator]();
  const result: ApplyResult = { entries: 0, bytes: 0, xattrs: 0, skippedXattrs: 0, xattrWarnings: [] };
  for (;;) {
    ctx.checkAbort();
    let step: Awaited<ReturnType<typeof entries.next>>;
    try {
      step = await entries.next();
    } catch (err) {
      throw corruptTar(err);
    }
    if (step.done === true) break;
    const { header } = step.value;
    const content = entryChunks(step.value as unknown as AsyncIterable<Buffer>);
    try {
      const bytes = await applyEntry(header, content, ctx);
      await drain(content);
      if (bytes !== undefined) {
        result.entries += 1;
        result.bytes += bytes;
      }
    } catch (err) {
      await entries.return?.();
      throw entryFailure(err, header);
    }
  }
  await parsing.catch((err: unknown) => {
    throw corruptTar(err);
  });
  ctx.checkAbort();
  // Last, after every chown: chown(2) drops security.capability, as it drops setuid.
  const xattrs = await applyXattrs(target, ctx.xattrs);
  result.xattrs = xattrs.applied;
  result.skippedXattrs = xattrs.skipped;
  result.xattrWarnings = xattrs.warnings;
  for (const { path, mtime } of ctx.directoryTimes) await utimes(path, mtime, mtime);
  return result;
}
