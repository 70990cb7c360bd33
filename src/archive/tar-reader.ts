// One pass over a tar that arrives as a stream (a file, an HTTP body, stdin), gunzipped on
// the way when it starts with the gzip magic, as `docker load` accepts both. Entries must be
// consumed in order; nothing is seeked or read twice.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract, type Extract } from 'tar-stream';
import { KilnError, isKilnError } from '../util/errors.js';

/** One entry: its header, and a stream of its bytes that must be read or drained. */
export type TarEntry = Extract extends AsyncIterable<infer E> ? E : never;

const gzipMagic = [0x1f, 0x8b] as const;

/**
 * Hands the archive's entries to `visit` one at a time; `visit` must read or drain each. An
 * unreadable archive ends in a KilnError naming `where`, whichever side noticed it first.
 */
export async function forEachEntry(input: Readable, where: string, visit: (entry: TarEntry) => Promise<void>): Promise<void> {
  const { head, rest } = await peek(input, gzipMagic.length);
  const gzipped = head[0] === gzipMagic[0] && head[1] === gzipMagic[1];
  const extractor = extract();
  let failure: unknown;
  const feeding = (gzipped ? pipeline(rest, createGunzip(), extractor) : pipeline(rest, extractor)).catch((err: unknown) => {
    failure = err;
  });
  try {
    for await (const entry of extractor) await visit(entry);
    await feeding;
    if (failure !== undefined) throw failure;
  } catch (err) {
    if (!extractor.destroyed) extractor.destroy();
    // An entry's stream only says it was destroyed; the pipeline knows why.
    await feeding;
    throw unreadable(isKilnError(err) ? err : (failure ?? err), where, gzipped);
  }
}

/** Reads until `count` bytes are known (or the input ends) and gives back the whole stream. */
async function peek(input: Readable, count: number): Promise<{ head: Buffer; rest: Readable }> {
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const seen: Buffer[] = [];
  let length = 0;
  while (length < count) {
    const next = await chunks.next();
    if (next.done === true) break;
    const chunk = Buffer.from(next.value);
    seen.push(chunk);
    length += chunk.byteLength;
  }
  async function* all(): AsyncGenerator<Buffer> {
    yield* seen;
    for (let next = await chunks.next(); next.done !== true; next = await chunks.next()) yield next.value;
  }
  return { head: Buffer.concat(seen), rest: Readable.from(all()) };
}

function unreadable(err: unknown, where: string, gzipped: boolean): KilnError {
  if (isKilnError(err)) return err;
  const message = (err as Error).message;
  return new KilnError('INVALID_ARGUMENT', `cannot read ${where}${gzipped ? ' (gzip)' : ''}: ${message}`, {
    hint: 'the archive is truncated or is not a tar (as written by docker save or an OCI exporter); write it again',
    cause: err,
  });
}
