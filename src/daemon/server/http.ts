// The daemon's HTTP layer on node:http: a small router over method and path pattern, a request
// id per request (echoed as X-Request-Id, carried in every log line), JSON error bodies
// `{ message, code, hint? }` with the status of the KilnError's code, and a cap on bodies.
// A Docker client's `/vX.Y` path prefix is taken off before routing.
// Routes that take over the connection (`Connection: Upgrade`) are served from the server's
// 'upgrade' event with the raw socket; their errors before the switch are written by hand.
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { KilnError } from '../../util/errors.js';
import { errorMessage, type Logger } from './logger.js';

/** Bodies larger than this are refused with 413: every request body here is a small JSON document. */
export const maxBodyBytes = 1 << 20;

export interface RequestContext {
  reqId: string;
  req: IncomingMessage;
  /** Captures of the route's pattern. */
  params: string[];
  query: URLSearchParams;
  log: Logger;
}

export type RequestHandler = (ctx: RequestContext, res: ServerResponse) => Promise<void>;
export type UpgradeHandler = (ctx: RequestContext, socket: Duplex, head: Buffer) => Promise<void>;

interface Route<H> {
  method: string;
  pattern: RegExp;
  handler: H;
}

export function errorStatus(err: unknown): number {
  return err instanceof KilnError ? err.httpStatus : 500;
}

export function errorBody(err: unknown): { message: string; code: string; hint?: string } {
  if (err instanceof KilnError) return { message: err.message, code: err.code, ...(err.hint === undefined ? {} : { hint: err.hint }) };
  return { message: `internal error: ${errorMessage(err)}`, code: 'INTERNAL' };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
}

/** An HTTP response written straight to a socket whose request was an upgrade not (yet) granted. */
export function sendRawJson(socket: Duplex, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
}

export function invalidJson(err: unknown): KilnError {
  return new KilnError('INVALID_ARGUMENT', `malformed JSON in request body: ${errorMessage(err)}`);
}

/** The whole body of an ordinary request, parsed as JSON; {} when there is none. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) throw tooLarge();
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (err) {
    throw invalidJson(err);
  }
}

export function tooLarge(): KilnError {
  return new KilnError('INVALID_ARGUMENT', `request body larger than ${maxBodyBytes} bytes`);
}

export class Router {
  private readonly routes: Route<RequestHandler>[] = [];
  private readonly upgrades: Route<UpgradeHandler>[] = [];
  private nextId = 0;

  /** `headers`: set on every response (the Docker API's Api-Version and the like). */
  constructor(private readonly log: Logger, private readonly headers: Record<string, string> = {}) {}

  on(method: string, pattern: RegExp, handler: RequestHandler): this {
    this.routes.push({ method, pattern, handler });
    return this;
  }

  onUpgrade(method: string, pattern: RegExp, handler: UpgradeHandler): this {
    this.upgrades.push({ method, pattern, handler });
    return this;
  }

  /** Every route's method and path pattern, upgrades included (the API document is checked against them). */
  table(): Array<{ method: string; pattern: RegExp }> {
    return [...this.routes, ...this.upgrades].map(({ method, pattern }) => ({ method, pattern }));
  }

  attach(server: Server | HttpsServer): void {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.serve(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.serveUpgrade(req, socket, head));
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.refuseMalformed(err, socket));
  }

  /**
   * A request node's parser rejected (headers over the limit, a broken request line) gets a JSON
   * error like any other, where node's default would answer with a bare status line.
   */
  private refuseMalformed(err: NodeJS.ErrnoException, socket: Duplex): void {
    this.log.info('malformed request', { error: err.code ?? errorMessage(err) });
    if (!socket.writable) return;
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const message = status === 431 ? 'request headers larger than the daemon accepts' : `malformed HTTP request: ${err.code ?? errorMessage(err)}`;
    sendRawJson(socket, status, { message, code: 'INVALID_ARGUMENT' });
  }

  /** The request's route (undefined: none matches) and its context, from one parse of the URL. */
  private route<H>(routes: Route<H>[], req: IncomingMessage): { handler: H | undefined; ctx: RequestContext } {
    const url = new URL(req.url ?? '/', 'http://kiln');
    // Docker clients put the negotiated API version first (`/v1.41/images/json`).
    const path = url.pathname.replace(/^\/v\d+\.\d+(?=\/)/, '');
    let handler: H | undefined;
    let params: string[] = [];
    for (const route of routes) {
      const found = route.method === req.method ? route.pattern.exec(path) : null;
      if (found === null) continue;
      handler = route.handler;
      params = found.slice(1).map((p) => decodePathParam(p ?? ''));
      break;
    }
    const ctx = { reqId: (++this.nextId).toString(36).padStart(6, '0'), req, params, query: url.searchParams, log: this.log };
    return { handler, ctx };
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const { handler, ctx } = this.route(this.routes, req);
    const fields = { reqId: ctx.reqId, method: req.method ?? '', path: req.url ?? '' };
    res.setHeader('X-Request-Id', ctx.reqId);
    for (const [name, value] of Object.entries(this.headers)) res.setHeader(name, value);
    res.on('finish', () => this.log.info('request', { ...fields, status: res.statusCode, ms: Math.round(performance.now() - started) }));
    try {
      if (handler === undefined) throw notFound(req);
      await handler(ctx, res);
    } catch (err) {
      if (errorStatus(err) >= 500) this.log.error('request failed', { ...fields, error: errorMessage(err) });
      // Drain what the client still sends so that the error reaches it rather than a reset.
      req.resume();
      if (!res.headersSent) sendJson(res, errorStatus(err), errorBody(err));
      else res.destroy();
    }
  }

  private async serveUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { handler, ctx } = this.route(this.upgrades, req);
    socket.on('error', (err) => this.log.debug('connection error', { reqId: ctx.reqId, error: errorMessage(err) }));
    try {
      if (handler === undefined) throw notFound(req);
      await handler(ctx, socket, head);
    } catch (err) {
      this.log.info('request', { reqId: ctx.reqId, method: req.method ?? '', path: req.url ?? '', status: errorStatus(err) });
      if (socket.writable) sendRawJson(socket, errorStatus(err), errorBody(err));
    }
  }
}

/** A path capture with its %-escapes decoded; a malformed escape (`%zz`) stays as sent, naming nothing. */
function decodePathParam(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function notFound(req: IncomingMessage): KilnError {
  return new KilnError('NOT_FOUND', `page not found: ${req.method ?? ''} ${new URL(req.url ?? '/', 'http://kiln').pathname}`);
}

/** Reads the Content-Length bytes of the body that follows an upgrade request's headers. */
/**
 * An upgrade request's JSON body (what follows it is `rest`); once it is read, the connection
 * is switched and the request logged with status 101.
 */
export async function acceptUpgrade(ctx: RequestContext, socket: Duplex, head: Buffer): Promise<{ body: unknown; rest: Buffer }> {
  const { body, rest } = await readUpgradeBody(ctx, socket, head);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw invalidJson(err);
  }
  return { body: parsed, rest };
}

/** Answers an accepted upgrade: from here on the connection is the route's own. */
export function switchProtocols(ctx: RequestContext, socket: Duplex): void {
  socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
  ctx.log.info('request', { reqId: ctx.reqId, method: 'POST', path: ctx.req.url ?? '', status: 101 });
}

async function readUpgradeBody(ctx: RequestContext, socket: Duplex, head: Buffer): Promise<{ body: Buffer; rest: Buffer }> {
  const length = Number(ctx.req.headers['content-length'] ?? 0);
  if (!Number.isSafeInteger(length) || length < 0) throw new KilnError('INVALID_ARGUMENT', 'invalid Content-Length');
  if (length > maxBodyBytes) throw tooLarge();
  let buffered = head;
  while (buffered.length < length) {
    const chunk = await new Promise<Buffer | undefined>((resolve) => {
      const onData = (data: Buffer): void => done(data);
      const onEnd = (): void => done(undefined);
      const done = (data: Buffer | undefined): void => {
        socket.off('data', onData).off('end', onEnd).off('close', onEnd).pause();
        resolve(data);
      };
      socket.on('data', onData).once('end', onEnd).once('close', onEnd).resume();
    });
    if (chunk === undefined) throw new KilnError('INVALID_ARGUMENT', 'request body ended early');
    buffered = Buffer.concat([buffered, chunk]);
  }
  return { body: buffered.subarray(0, length), rest: buffered.subarray(length) };
}
