// The build context of a Docker API build (`POST /build`): the request body is a tar of the
// context (gzip-compressed with `docker build --compress`), chunked and of unknown length. It
// is extracted as it arrives, never held whole, into a directory of its own under the store
// root (docker-build-writer.ts), which the build reads in place and which is removed after it,
// whatever happens. A tar that cannot be read is the request's fault: a 400.
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract, type Extract, type Header } from 'tar-stream';
import { KilnError } from '../../util/errors.js';
import { receivedContextsDir } from '../build/index.js';
import { badContext } from './docker-build-paths.js';
import { ContextWriter, type Entry } from './docker-build-writer.js';

export interface ReceivedContext {
  /** The context directory the build reads. */
  dir: string;
  /** The directory holding `dir`, for files the build needs beside the context. */
  workDir: string;
  entries: number;
  bytes: number;
  /** Removes everything received; safe to call more than once. */
  remove(): Promise<void>;
}

/** Receives the request's body into a new directory under the store root. */
export async function receiveContext(req: IncomingMessage, root: string): Promise<ReceivedContext> {
  const parent = receivedContextsDir(root);
  await mkdir(parent, { recursive: true, mode: 0o700 });
  const workDir = await mkdtemp(join(parent, 'ctx-'));
  const dir = join(workDir, 'context');
  const remove = (): Promise<void> => rm(workDir, { recursive: true, force: true });
  const writer = new ContextWriter(dir);
  try {
    await mkdir(dir, { mode: 0o755 });
    await chmod(dir, 0o755);
    await extractBody(req, writer);
    return { dir, workDir, entries: writer.entries, bytes: writer.bytes, remove };
  } catch (err) {
    await writer.settle();
    await remove();
    // The parser's and gunzip's complaints are the client's; a failing system call is the daemon's.
    if (err instanceof KilnError || (err as NodeJS.ErrnoException).syscall !== undefined) throw err;
    throw badContext(`the tar cannot be read: ${(err as Error).message}`);
  }
}

/** Feeds the body, gunzipped when it starts with gzip's magic, through the tar parser into `writer`. */
async function extractBody(req: IncomingMessage, writer: ContextWriter): Promise<void> {
  const head = await firstBytes(req, 6);
  const compression = compressionOf(head);
  if (compression !== undefined && compression !== 'gzip') throw badContext(`${compression} compression is not supported; send a plain or gzip-compressed tar`);
  const tar = lenientExtract();
  const sink = compression === 'gzip' ? createGunzip() : new PassThrough();
  // Its failure reaches the entries' loop through the parser, which the pipeline destroys with it.
  const decoding = pipeline(sink, tar).catch(() => undefined);
  // The client going away mid-upload ends the body without an 'end': the parser would wait forever.
  const gone = (): void => {
    if (!req.complete) sink.destroy(new KilnError('CANCELED', 'the client went away while sending the build context'));
  };
  req.on('error', gone).once('close', gone);
  sink.write(head);
  req.pipe(sink);
  try {
    for await (const entry of tar as AsyncIterable<Entry>) await writer.add(entry);
    await writer.finish();
  } finally {
    // pipe() does not stop reading on a failure: the route drains the rest (trap 7).
    req.unpipe(sink);
    req.off('error', gone).off('close', gone);
    if (!sink.destroyed) sink.destroy();
    await decoding;
  }
}

/** tar-stream's parser state that lenientExtract() reads. */
interface ParserState {
  _missing: number;
  _stream: unknown;
  _longHeader: boolean;
  _header: Header | null;
  _buffer: { buffered: number };
  _final(done: (err: Error | null) => void): void;
}

/**
 * The tar parser, made to accept an archive that ends right after its last entry's data. The
 * docker CLI's tar of a context with a Dockerfile from outside it (`-f ../Dockerfile`) ends
 * there: it closes its pipe before its tar writer pads the entry and writes the end blocks,
 * and dockerd's Go reader takes that for the end. A cut anywhere else is still an error. This
 * reads tar-stream's parser state (pinned, 3.x); were that to change, such a tar would be
 * refused rather than misread.
 */
function lenientExtract(): Extract {
  const tar = extract();
  const state = tar as unknown as ParserState;
  const final = state._final.bind(tar);
  state._final = (done) => {
    const header = state._header;
    const onlyPaddingMissing = header !== null && state._stream === null && !state._longHeader && state._buffer.buffered === 0
      && state._missing > 0 && state._missing === (512 - (header.size % 512)) % 512;
    if (onlyPaddingMissing) state._missing = 0;
    final(done);
  };
  return tar;
}

/** Reads at least `count` bytes (fewer if the body is shorter) and leaves the body paused. */
async function firstBytes(req: IncomingMessage, count: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error): void => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onEnd);
      req.pause();
      if (err === undefined) resolve();
      else reject(err);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= count) done();
    };
    const onEnd = (): void => done(req.complete ? undefined : new KilnError('CANCELED', 'the client went away while sending the build context'));
    const onError = (err: Error): void => done(err);
    req.on('data', onData).once('end', onEnd).once('error', onError).once('close', onEnd);
  });
  return Buffer.concat(chunks);
}

function compressionOf(head: Buffer): 'gzip' | 'bzip2' | 'xz' | 'zstd' | undefined {
  const starts = (bytes: number[]): boolean => bytes.every((byte, at) => head[at] === byte);
  if (starts([0x1f, 0x8b])) return 'gzip';
  if (starts([0x42, 0x5a, 0x68])) return 'bzip2';
  if (starts([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz';
  if (starts([0x28, 0xb5, 0x2f, 0xfd])) return 'zstd';
  return undefined;
}
