// The exchanges of the daemon's native API, on wire.ts's hand-written HTTP/1.1: a JSON request
// answered with JSON, a request answered with a stream (JSON lines, or bytes), and a streamed
// upload. Each runs on a connection of its own, reached (and the daemon started when none runs)
// through ensureDaemon; an answer that is not the one asked for becomes the daemon's KilnError.
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { errorTrailer } from '../../api/images.js';
import { LineDecoder } from '../../api/lines.js';
import type { DaemonAddress } from '../../api/host.js';
import { KilnError, type KilnErrorJSON } from '../../util/errors.js';
import { sendChunked, streamBody, writeChunkedHead } from './chunked.js';
import { ensureDaemon } from './connect.js';
import { readBody, readHead, responseError, writeRequest, type WireResponse } from './wire.js';

export interface RequestOptions {
  /** Sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
}

function jsonHeaders(options: RequestOptions): Record<string, string> {
  return { ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }), ...options.headers, Connection: 'close' };
}

function parseJson<T>(body: Buffer): T {
  return (body.length === 0 ? undefined : JSON.parse(body.toString('utf8'))) as T;
}

/** One request, its 2xx answer's JSON (undefined when empty). */
export async function requestJson<T>(address: DaemonAddress, method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const socket = await ensureDaemon(address);
  try {
    writeRequest(socket, method, path, jsonHeaders(options), options.body === undefined ? '' : JSON.stringify(options.body));
    const response = await readHead(socket, address.socketPath);
    const body = await readBody(socket, response);
    if (response.status < 200 || response.status > 299) throw responseError(response.status, body);
    return parseJson<T>(body);
  } finally {
    socket.destroy();
  }
}

/** Sends the request; resolves with the connection once a 200 has begun the streamed answer. */
async function openStream(address: DaemonAddress, method: string, path: string, options: RequestOptions): Promise<{ socket: Socket; response: WireResponse }> {
  const socket = await ensureDaemon(address);
  try {
    writeRequest(socket, method, path, jsonHeaders(options), options.body === undefined ? '' : JSON.stringify(options.body));
    const response = await readHead(socket, address.socketPath);
    if (response.status !== 200) throw responseError(response.status, await readBody(socket, response));
    return { socket, response };
  } catch (err) {
    socket.destroy();
    throw err;
  }
}

/** A streamed answer's bytes to `deliver` (see streamBody); rejects with the error a trailer carries. */
export async function requestBytes(address: DaemonAddress, path: string, options: RequestOptions, what: string, deliver: (data: Buffer) => void | Promise<void>): Promise<void> {
  const { socket, response } = await openStream(address, 'POST', path, options);
  try {
    const trailers = await streamBody(socket, response, what, deliver);
    const failure = trailers.get(errorTrailer.toLowerCase());
    if (failure !== undefined) throw KilnError.fromJSON(JSON.parse(Buffer.from(failure, 'base64url').toString('utf8')) as KilnErrorJSON);
  } finally {
    socket.destroy();
  }
}

type Outcome<M> = M extends { result: infer R } ? R : never;

/**
 * A stream of JSON lines, every message to `onMessage` as it arrives (what it throws ends the
 * exchange with that error); rejects when the stream ends without its `result` or `error`.
 */
export async function streamMessages<M extends object>(address: DaemonAddress, method: string, path: string, options: RequestOptions, what: string, onMessage: (message: M) => void): Promise<void> {
  const { socket, response } = await openStream(address, method, path, options);
  try {
    const decoder = new LineDecoder();
    let ended = false;
    await streamBody(socket, response, what, (data) => {
      for (const line of decoder.push(data)) {
        const message = JSON.parse(line) as M;
        ended ||= 'result' in message || 'error' in message;
        onMessage(message);
      }
    });
    if (!ended) throw new KilnError('UNAVAILABLE', `the kiln daemon ended ${what} without its result`, { hint: 'see the daemon\'s log (kilnd.log in the store root)' });
  } finally {
    socket.destroy();
  }
}

/**
 * A request answered with a stream of JSON lines: each message goes to `onMessage` as it
 * arrives, an `error` message rejects with the daemon's KilnError, and the `result` message's
 * payload is the outcome.
 */
export async function requestMessages<M extends object>(address: DaemonAddress, method: string, path: string, options: RequestOptions, what: string, onMessage: (message: M) => void): Promise<Outcome<M>> {
  let outcome: { result: Outcome<M> } | undefined;
  await streamMessages<M>(address, method, path, options, what, (message) => {
    if ('error' in message) throw KilnError.fromJSON(message.error as KilnErrorJSON);
    if ('result' in message) outcome = message as { result: Outcome<M> };
    onMessage(message);
  });
  return outcome!.result;
}

/** Uploads `input` as the chunked body of a POST and returns the JSON answer. */
export async function uploadJson<T>(address: DaemonAddress, path: string, contentType: string, input: Readable): Promise<T> {
  const socket = await ensureDaemon(address);
  try {
    writeChunkedHead(socket, 'POST', path, { 'Content-Type': contentType, Connection: 'close' });
    // A failure to read the input ends the exchange: the daemon sees the connection go.
    let inputError: unknown;
    void sendChunked(socket, input).catch((err: unknown) => {
      inputError = err;
      socket.destroy();
    });
    const response = await readHead(socket, address.socketPath).catch((err: unknown) => {
      throw inputError ?? err;
    });
    const body = await readBody(socket, response);
    if (response.status !== 200) throw responseError(response.status, body);
    return parseJson<T>(body);
  } finally {
    socket.destroy();
  }
}
