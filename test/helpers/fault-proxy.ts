// A reverse proxy in front of a test registry that injects faults: for requests matching a
// method and path pattern it answers an error status (500, 429 with Retry-After) a number of
// times, or forwards the request and cuts the connection after some bytes of the response
// body. Every request is logged, so tests can also assert on what the client sent.
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { serveOnLoopback } from './loopback-server.js';

export interface Fault {
  /** HTTP method to match; any when absent. */
  method?: string;
  /** Matched against the path and query. */
  path: RegExp;
  /** How many matching requests the fault affects. */
  times: number;
  /** Matching requests let through before the fault starts. */
  skip?: number;
  /** Answer with this status instead of forwarding. */
  status?: number;
  /** With `status`: a Retry-After header, in seconds. */
  retryAfter?: number;
  /** Forward, but destroy the socket after this many bytes of the response body. */
  dropAfterBytes?: number;
  /** Forward after this many milliseconds (a slow registry, to act in the middle of a transfer). */
  delayMs?: number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  status: number;
  /** The Range header the client sent, if any. */
  range?: string;
  /** Whether a fault answered or cut the request. */
  faulted: boolean;
}

export interface FaultProxy {
  host: string;
  log: LoggedRequest[];
  stop(): Promise<void>;
}

function matching(faults: Fault[], req: IncomingMessage): Fault | undefined {
  const fault = faults.find((f) => f.times > 0 && (f.method === undefined || f.method === req.method) && f.path.test(req.url ?? ''));
  if (fault === undefined) return undefined;
  if (fault.skip !== undefined && fault.skip > 0) {
    fault.skip--;
    return undefined;
  }
  fault.times--;
  return fault;
}

function forward(upstream: string, req: IncomingMessage, res: ServerResponse, log: LoggedRequest[], fault: Fault | undefined): void {
  const entry: LoggedRequest = { method: req.method ?? '', path: req.url ?? '', status: 0, faulted: fault !== undefined };
  if (req.headers.range !== undefined) entry.range = req.headers.range;
  log.push(entry);
  const [hostname, port] = upstream.split(':');
  const out = request({ hostname, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (upstreamRes) => {
    entry.status = upstreamRes.statusCode ?? 0;
    res.writeHead(entry.status, upstreamRes.headers);
    if (fault?.dropAfterBytes === undefined) {
      upstreamRes.pipe(res);
      return;
    }
    let sent = 0;
    const limit = fault.dropAfterBytes;
    const socket = res.socket;
    upstreamRes.on('data', (chunk: Buffer) => {
      if (sent >= limit) return;
      res.write(chunk.subarray(0, limit - sent));
      sent += chunk.byteLength;
      if (sent >= limit) {
        upstreamRes.destroy();
        // Let the partial body reach the client, then cut the connection mid-response.
        setImmediate(() => socket?.destroy());
      }
    });
    upstreamRes.on('end', () => {
      if (sent < limit) res.end();
    });
  });
  out.on('error', () => res.socket?.destroy());
  req.pipe(out);
}

export async function startFaultProxy(upstream: string, faults: Fault[]): Promise<FaultProxy> {
  const log: LoggedRequest[] = [];
  /** Requests held back by a delay: forwarded later, or dropped when the proxy stops. */
  const held = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    const fault = matching(faults, req);
    if (fault?.status !== undefined) {
      log.push({ method: req.method ?? '', path: req.url ?? '', status: fault.status, faulted: true });
      req.resume();
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      res.writeHead(fault.status, headers);
      res.end(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'injected fault' }] }));
      return;
    }
    if (fault?.delayMs === undefined) {
      forward(upstream, req, res, log, fault);
      return;
    }
    // Logged as it arrives, so a test can act while it is held.
    const arrived: LoggedRequest = { method: req.method ?? '', path: req.url ?? '', status: 0, faulted: true };
    log.push(arrived);
    const timer = setTimeout(() => {
      held.delete(timer);
      log.splice(log.indexOf(arrived), 1);
      forward(upstream, req, res, log, fault);
    }, fault.delayMs);
    held.add(timer);
  });
  const { host, stop } = await serveOnLoopback(server, 'fault proxy');
  return {
    host, log,
    stop: async () => {
      for (const timer of held) clearTimeout(timer);
      held.clear();
      await stop();
    },
  };
}
