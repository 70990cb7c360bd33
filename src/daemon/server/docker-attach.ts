// `POST /containers/{id}/attach?stream=1&stdout=1&stderr=1[&stdin=1]`: the connection is
// hijacked (101, then a raw byte pipe, engine-api.md §4.4) and joins the container's output,
// as docker run does before it starts the container. Output comes as stdcopy frames, or raw
// bytes for a container with a terminal; input goes up raw. The client half-closes its side
// when it has no more input (at once without stdin): that is no hang-up, and the stream stays
// open until the container's run has ended and its output is written (traps 3-5).
import type { ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';
import { KilnError } from '../../util/errors.js';
import type { ImageEngine } from '../images/engine.js';
import { findContainer, queryFlag } from './docker-query.js';
import type { ContainerRecord } from '../containers/record.js';
import type { SupervisedRuns } from './supervised-runs.js';
import type { RequestContext, Router } from './http.js';

/** Grants the upgrade as dockerd does; from here on the connection is the route's byte pipe. */
export function hijack(ctx: RequestContext, socket: Duplex): void {
  socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
  ctx.log.info('request', { reqId: ctx.reqId, method: ctx.req.method ?? '', path: ctx.req.url ?? '', status: 101 });
}

/**
 * What the client sent after the request's headers: attach has no body (Content-Length 0), so
 * anything there is already the container's input.
 */
function inputAfterHeaders(ctx: RequestContext, head: Buffer): Buffer {
  const length = Number(ctx.req.headers['content-length'] ?? 0);
  if (length !== 0) throw new KilnError('INVALID_ARGUMENT', 'attach takes no request body');
  return head;
}

/** The container a request attaches to, refused when its output cannot be joined. */
async function attachable(engine: ImageEngine, runs: SupervisedRuns, ctx: RequestContext): Promise<ContainerRecord> {
  const record = await findContainer(engine, ctx.params[0] ?? '');
  if (record.state.status === 'running' && runs.active(record.id) === undefined) {
    throw new KilnError('CONFLICT', `cannot attach to container ${record.id}: it was not started through the Docker API, and its output goes only to its log`, {
      hint: 'read it with docker logs -f',
    });
  }
  return record;
}

async function serveAttach(engine: ImageEngine, runs: SupervisedRuns, ctx: RequestContext, socket: Duplex, head: Buffer): Promise<void> {
  const record = await attachable(engine, runs, ctx);
  const input = inputAfterHeaders(ctx, head);
  hijack(ctx, socket);
  runs.attach(record, { socket, stdout: queryFlag(ctx.query, 'stdout'), stderr: queryFlag(ctx.query, 'stderr') }, queryFlag(ctx.query, 'stdin'), input);
}

/**
 * An attach without the upgrade (dockerode's default): dockerd answers 200 and streams the
 * output as the response body until the run ends; there is no way up for input.
 */
async function serveOutputOnlyAttach(engine: ImageEngine, runs: SupervisedRuns, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const record = await attachable(engine, runs, ctx);
  if (queryFlag(ctx.query, 'stdin')) throw new KilnError('INVALID_ARGUMENT', 'attach with stdin takes over the connection: send it with Connection: Upgrade and Upgrade: tcp');
  res.writeHead(200, { 'Content-Type': 'application/vnd.docker.raw-stream' });
  res.flushHeaders();
  const socket = Duplex.from({ readable: ctx.req, writable: res });
  runs.attach(record, { socket, stdout: queryFlag(ctx.query, 'stdout'), stderr: queryFlag(ctx.query, 'stderr') }, false, Buffer.alloc(0));
}

export function attachRoutes(router: Router, engine: ImageEngine, runs: SupervisedRuns): void {
  router.onUpgrade('POST', /^\/containers\/([^/]+)\/attach$/, (ctx, socket, head) => serveAttach(engine, runs, ctx, socket, head));
  router.on('POST', /^\/containers\/([^/]+)\/attach$/, (ctx, res) => serveOutputOnlyAttach(engine, runs, ctx, res));
}
