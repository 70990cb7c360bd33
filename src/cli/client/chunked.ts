// HTTP/1.1 chunked transfer coding for the hand-written daemon client (wire.ts): the daemon's
// streamed answers (pull and push messages, a save's tar) arrive chunked, ended by a last chunk
// that may carry trailers; a load's tar goes up chunked, its length unknown until it ends.
// A chunked body that stops before its last chunk is a truncated answer, never a complete one.
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { KilnError } from '../../util/errors.js';
import type { WireResponse } from './wire.js';

const crlf = Buffer.from('\r\n');
const maxLineBytes = 4096;

function malformed(what: string): KilnError {
  return new KilnError('INTERNAL', `the kiln daemon sent a malformed chunked body: ${what}`);
}

/** Takes the chunked coding off a body: data out as it arrives, then the trailers. */
export class ChunkedDecoder {
  private pending: Buffer = Buffer.alloc(0);
  /** Data bytes left in the current chunk; 0 when its closing CRLF is due; -1 when a size line is. */
  private left = -1;
  private inTrailers = false;
  done = false;
  /** Trailer names in lower case. */
  readonly trailers = new Map<string, string>();

  push(chunk: Buffer): Buffer[] {
    const data: Buffer[] = [];
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (!this.done && this.pending.length > 0) {
      if (this.left > 0) {
        const take = Math.min(this.left, this.pending.length);
        data.push(this.pending.subarray(0, take));
        this.pending = this.pending.subarray(take);
        this.left -= take;
        continue;
      }
      const line = this.nextLine();
      if (line === undefined) break;
      if (this.left === 0) {
        if (line !== '') throw malformed('no CRLF after a chunk');
        this.left = -1;
      } else if (this.inTrailers) this.trailer(line);
      else this.sizeLine(line);
    }
    return data;
  }

  /** The next CRLF-ended line, or undefined until it has arrived whole. */
  private nextLine(): string | undefined {
    const end = this.pending.indexOf(crlf);
    if (end < 0) {
      if (this.pending.length > maxLineBytes) throw malformed('a line too long');
      return undefined;
    }
    const line = this.pending.subarray(0, end).toString('latin1');
    this.pending = this.pending.subarray(end + crlf.length);
    return line;
  }

  private sizeLine(line: string): void {
    const text = line.split(';')[0]?.trim() ?? '';
    if (!/^[0-9a-fA-F]{1,12}$/.test(text)) throw malformed(`chunk size ${JSON.stringify(line.slice(0, 40))}`);
    const size = Number.parseInt(text, 16);
    if (size === 0) this.inTrailers = true;
    else this.left = size;
  }

  private trailer(line: string): void {
    if (line === '') {
      this.done = true;
      return;
    }
    const colon = line.indexOf(':');
    if (colon > 0) this.trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
}

/**
 * Hands a response's body to `deliver` as it arrives (a promise from `deliver` holds the socket
 * until it settles: back pressure), and resolves with the trailers once the body is complete:
 * chunked, by Content-Length, or up to the connection's end. A connection that ends first
 * rejects, naming `what` was cut short.
 */
export function streamBody(socket: Socket, response: WireResponse, what: string, deliver: (data: Buffer) => void | Promise<void>): Promise<Map<string, string>> {
  const decoder = /chunked/i.test(response.headers.get('transfer-encoding') ?? '') ? new ChunkedDecoder() : undefined;
  const declared = response.headers.get('content-length');
  let left = declared === undefined ? Infinity : Number(declared);
  return new Promise((done, fail) => {
    let settled = false;
    // Deliveries run one after another, in order; the socket is paused while any is pending.
    let delivered: Promise<void> = Promise.resolve();
    let waiting = 0;
    const settle = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      socket.off('data', onData).off('end', onEnd).off('close', onEnd).off('error', settle);
      // Complete once the consumer has taken the last of it too.
      if (err === undefined) delivered.then(() => done(decoder?.trailers ?? new Map()), fail);
      else fail(err);
    };
    const hand = (data: Buffer): void => {
      waiting += 1;
      socket.pause();
      delivered = delivered.then(() => deliver(data)).then(() => {
        waiting -= 1;
        if (waiting === 0 && !settled) socket.resume();
      });
      delivered.catch(settle);
    };
    const onData = (chunk: Buffer): void => {
      try {
        if (decoder === undefined) {
          const data = chunk.subarray(0, Math.min(chunk.length, left));
          left -= data.length;
          if (data.length > 0) hand(data);
          if (left <= 0) settle();
          return;
        }
        for (const data of decoder.push(chunk)) hand(data);
        if (decoder.done) settle();
      } catch (err) {
        settle(err);
      }
    };
    const onEnd = (): void => {
      if (decoder === undefined && left === Infinity) settle();
      else settle(new KilnError('UNAVAILABLE', `the kiln daemon closed the connection before ${what} ended`, { hint: 'see the daemon\'s log (kilnd.log in the store root)' }));
    };
    socket.on('data', onData).once('end', onEnd).once('close', onEnd).once('error', settle);
    if (response.rest.length > 0) onData(response.rest);
    if (!settled && waiting === 0) socket.resume();
  });
}

/** A request head for a body of unknown length, sent chunked (sendChunked). */
export function writeChunkedHead(socket: Socket, method: string, path: string, headers: Record<string, string>): void {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: kilnd', 'Transfer-Encoding: chunked'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
}

/** Resolves when the socket takes writes again, or is gone. */
function drained(socket: Socket): Promise<void> {
  return new Promise((resume) => {
    const done = (): void => {
      socket.off('drain', done).off('close', done);
      resume();
    };
    socket.once('drain', done).once('close', done);
  });
}

/**
 * Sends `input` as a chunked body, as fast as the daemon takes it, then the last chunk. It
 * stops early, without error, if the connection goes (the daemon answered before the end);
 * a failure to read `input` rejects.
 */
export async function sendChunked(socket: Socket, input: Readable): Promise<void> {
  for await (const chunk of input as AsyncIterable<Buffer>) {
    if (socket.destroyed) return;
    if (chunk.length === 0) continue;
    socket.write(`${chunk.length.toString(16)}\r\n`);
    socket.write(chunk);
    if (!socket.write('\r\n')) await drained(socket);
  }
  if (!socket.destroyed) socket.write('0\r\n\r\n');
}
