// HTTP/1.1 to kilnd over its unix socket, by hand, for the requests on a command's start-up path.
// Loading node:http costs a CLI process 5-10 ms (its parser, agents and their modules), as much
// as the engine's whole share of a container start; the exchanges here are small and fixed:
// one request per connection, answered by a `101 Switching Protocols` head (the connection then
// carries frames) or by a response with a Content-Length (the daemon's sendJson / sendRawJson).
import { connect, type Socket } from 'node:net';
import { KilnError, type ErrorCode } from '../../util/errors.js';

export interface WireResponse {
  status: number;
  /** Header names in lower case. */
  headers: Map<string, string>;
  /** The bytes that followed the head: the start of the body, or of the upgraded stream. */
  rest: Buffer;
}

const headEnd = Buffer.from('\r\n\r\n');
const maxHeadBytes = 64 * 1024;

function closedEarly(socketPath: string, cause?: Error): KilnError {
  return new KilnError('UNAVAILABLE', `the kiln daemon at ${socketPath} closed the connection before it answered`, {
    hint: 'see the daemon\'s log (kilnd.log in the store root)',
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * A connection to the daemon's socket; undefined when no daemon listens there (no socket file,
 * or a stale one). Other failures, such as a socket the user may not open, are errors.
 */
export function dial(socketPath: string): Promise<Socket | undefined> {
  return new Promise((done, fail) => {
    const socket = connect(socketPath);
    const refused = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') done(undefined);
      else fail(new KilnError('UNAVAILABLE', `cannot reach the kiln daemon at ${socketPath}: ${err.message}`, { cause: err }));
    };
    socket.once('connect', () => {
      socket.off('error', refused);
      done(socket);
    });
    socket.once('error', refused);
  });
}

export function writeRequest(socket: Socket, method: string, path: string, headers: Record<string, string> = {}, body = ''): void {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: kilnd'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

function parseHead(text: string): Omit<WireResponse, 'rest'> {
  const [statusLine = '', ...fields] = text.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
  if (status === undefined) throw new KilnError('INTERNAL', `the kiln daemon answered with a malformed status line: ${statusLine.slice(0, 80)}`);
  const headers = new Map<string, string>();
  for (const field of fields) {
    const colon = field.indexOf(':');
    if (colon > 0) headers.set(field.slice(0, colon).trim().toLowerCase(), field.slice(colon + 1).trim());
  }
  return { status: Number(status), headers };
}

/**
 * Reads the response's head. The socket is left paused: whoever reads on takes `rest` first,
 * then resumes it.
 */
export function readHead(socket: Socket, socketPath: string): Promise<WireResponse> {
  return new Promise((done, fail) => {
    let buffered: Buffer = Buffer.alloc(0);
    const settle = (): void => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf(headEnd);
      if (end < 0) {
        if (buffered.length > maxHeadBytes) onError(new KilnError('INTERNAL', 'the kiln daemon\'s response head is too large'));
        return;
      }
      settle();
      socket.pause();
      try {
        done({ ...parseHead(buffered.subarray(0, end).toString('latin1')), rest: buffered.subarray(end + headEnd.length) });
      } catch (err) {
        fail(err);
      }
    };
    const onError = (err: Error): void => {
      settle();
      fail(err instanceof KilnError ? err : closedEarly(socketPath, err));
    };
    const onClose = (): void => onError(closedEarly(socketPath));
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('close', onClose);
  });
}

/** The body of a response read by readHead: Content-Length bytes, or up to the connection's end. */
export function readBody(socket: Socket, response: WireResponse): Promise<Buffer> {
  const declared = response.headers.get('content-length');
  const length = declared === undefined ? Infinity : Number(declared);
  return new Promise((done, fail) => {
    const chunks = [response.rest];
    let size = response.rest.length;
    const finish = (): void => {
      socket.off('data', onData);
      socket.off('end', finish);
      socket.off('error', fail);
      done(Buffer.concat(chunks).subarray(0, Number.isFinite(length) ? length : size));
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= length) finish();
    };
    if (size >= length) {
      finish();
      return;
    }
    socket.on('data', onData);
    socket.once('end', finish);
    socket.once('error', fail);
    socket.resume();
  });
}

/** The daemon's JSON error body as a KilnError, for a response that is not the one asked for. */
export function responseError(status: number, body: Buffer): KilnError {
  const text = body.toString('utf8');
  try {
    const parsed = JSON.parse(text) as { message?: string; code?: ErrorCode; hint?: string };
    return new KilnError(parsed.code ?? 'INTERNAL', parsed.message ?? `daemon answered ${status}`, parsed.hint === undefined ? {} : { hint: parsed.hint });
  } catch {
    return new KilnError('INTERNAL', `daemon answered ${status}: ${text.slice(0, 200)}`);
  }
}

/** One ordinary request on a connection of its own: the status and the body. */
export async function daemonRequest(socketPath: string, method: string, path: string): Promise<{ status: number; body: Buffer }> {
  const socket = await dial(socketPath);
  if (socket === undefined) throw new KilnError('UNAVAILABLE', `no kiln daemon listens on ${socketPath}`);
  try {
    writeRequest(socket, method, path, { Connection: 'close' });
    const response = await readHead(socket, socketPath);
    return { status: response.status, body: await readBody(socket, response) };
  } finally {
    socket.destroy();
  }
}
