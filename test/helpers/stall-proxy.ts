// A reverse proxy in front of a test registry that stalls chosen transfers partway: for a
// matching request it lets `afterBytes` of the body through (the response body for a GET,
// the request body for an upload) and then neither sends nor reads any more, holding the
// connection open. `stalled` resolves at that point, so a test can kill the client knowing it
// is mid-transfer, without guessing at timings.
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { serveOnLoopback } from './loopback-server.js';

export interface StallProxy {
  host: string;
  /** Resolves when the first matching transfer has stalled. */
  stalled: Promise<void>;
  stop(): Promise<void>;
}

export interface StallOptions {
  /** Methods to match: GET stalls the response body, others the request body. */
  methods: string[];
  path: RegExp;
  afterBytes: number;
  /** How many matching requests stall; later ones pass. Default 1. */
  times?: number;
}

/** Passes at most `limit` bytes of `from` on to `write`, then stops reading `from` for good. */
function meter(from: IncomingMessage, limit: number, write: (chunk: Buffer) => void, onLimit: () => void): void {
  let sent = 0;
  from.on('data', (chunk: Buffer) => {
    if (sent >= limit) return;
    write(chunk.subarray(0, limit - sent));
    sent += chunk.byteLength;
    if (sent >= limit) {
      from.pause();
      onLimit();
    }
  });
}

function forward(upstream: string, req: IncomingMessage, res: ServerResponse, stall: number | undefined, onStall: () => void): void {
  const [hostname, port] = upstream.split(':');
  const out = request({ hostname, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (upstreamRes) => {
    res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
    if (stall === undefined || req.method !== 'GET') upstreamRes.pipe(res);
    else meter(upstreamRes, stall, (chunk) => res.write(chunk), onStall);
  });
  out.on('error', () => res.socket?.destroy());
  // A client that goes away (killed) takes its upstream request with it.
  res.on('close', () => out.destroy());
  if (stall === undefined || req.method === 'GET') req.pipe(out);
  else meter(req, stall, (chunk) => out.write(chunk), onStall);
}

export async function startStallProxy(upstream: string, options: StallOptions): Promise<StallProxy> {
  let left = options.times ?? 1;
  let markStalled = (): void => {};
  const stalled = new Promise<void>((resolve) => (markStalled = resolve));
  const server = createServer((req, res) => {
    // An upload too small to reach the stall point (a config blob) passes and is not counted.
    const reachesStall = req.method === 'GET' || Number(req.headers['content-length'] ?? Infinity) > options.afterBytes;
    const hit = left > 0 && reachesStall && options.methods.includes(req.method ?? '') && options.path.test(req.url ?? '');
    if (hit) left--;
    forward(upstream, req, res, hit ? options.afterBytes : undefined, markStalled);
  });
  const { host, stop } = await serveOnLoopback(server, 'stall proxy');
  return { host, stalled, stop };
}
