// The Docker Engine API's JSON message stream (engine-api.md §4.1), the answer of build, pull,
// push and load: HTTP 200, chunked, one JSON object per message followed by \r\n, each written
// as it happens so that the client prints progress live. Once the stream has begun a failure can
// only travel inside it: a client treats a stream as failed only when a message carries
// `errorDetail` (a bare `error` is ignored and the command exits 0), so a failure always sends
// both; for a build `errorDetail.code` becomes the docker CLI's exit status.
import type { ServerResponse } from 'node:http';
import { KilnError } from '../../util/errors.js';
import { errorMessage } from './logger.js';

export interface JsonMessage {
  stream?: string;
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  aux?: unknown;
  errorDetail?: { code?: number; message: string };
  error?: string;
}

export interface JsonMessageStream {
  send(message: JsonMessage): void;
  /** Ends the stream with the failure; `code` is the exit status a build's client takes from it. */
  fail(err: unknown, code?: number): void;
  end(): void;
  /** Whether the client is still there to read what is sent. */
  readonly open: boolean;
}

/** The message a failure is reported with once the stream has begun. */
export function failureMessage(err: unknown, code?: number): JsonMessage {
  const message = err instanceof KilnError ? err.message : `internal error: ${errorMessage(err)}`;
  return { errorDetail: { ...(code === undefined ? {} : { code }), message }, error: message };
}

/** Starts the stream: the status line and headers go out at once. */
export function openJsonStream(res: ServerResponse): JsonMessageStream {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  const writable = (): boolean => !res.destroyed && !res.writableEnded;
  return {
    send(message) {
      if (writable()) res.write(`${JSON.stringify(message)}\r\n`);
    },
    fail(err, code) {
      this.send(failureMessage(err, code));
      this.end();
    },
    end() {
      if (writable()) res.end();
    },
    get open() {
      return writable();
    },
  };
}

/**
 * The native API's stream (pull, push, logs, a detached run): one JSON message per line,
 * `application/x-ndjson`, ending in a failure as `{error}` when it fails once begun.
 */
export interface LineStream<M> {
  send(message: M): void;
  /** Sends the failure as the stream's last message. */
  fail(err: unknown): void;
  end(): void;
}

/** Opens the 200 answer; every message is one line, written at once. */
export function openLineStream<M>(res: ServerResponse): LineStream<M> {
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
  res.flushHeaders();
  const writable = (): boolean => !res.destroyed && !res.writableEnded;
  const stream: LineStream<M> = {
    send: (message) => {
      if (writable()) res.write(`${JSON.stringify(message)}\n`);
    },
    fail: (err) => {
      const error = err instanceof KilnError ? err.toJSON() : { code: 'INTERNAL' as const, message: `internal error: ${errorMessage(err)}` };
      stream.send({ error } as M);
      stream.end();
    },
    end: () => {
      if (writable()) res.end();
    },
  };
  return stream;
}

/** Aborts the transfer when the client goes away before the answer is complete. */
export function abortOnHangUp(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort(new KilnError('CANCELED', 'the client went away'));
  });
  return controller.signal;
}
