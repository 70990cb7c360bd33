// The Docker Engine API's container endpoints (engine-api.md §3.12-3.16): create, start, stop,
// restart, kill, wait, resize, remove, prune, list and inspect, plus the registration of attach, logs,
// exec, volumes and networks. Containers the API starts are supervised by this daemon
// (supervised-runs.ts), as are those `kiln run -d` starts through the native API.
//
// Status codes carry meaning to the CLI (§1): 404 only for "no such container/image" (a create
// 404 makes docker run pull and retry), 304 for a stop or start with nothing to do, 409 for a
// running container that rm is not forced to remove. A start failure keeps runc's wording, from
// which the CLI derives 127 / 126 (trap 16).
import type { ServerResponse } from 'node:http';
import { discard } from '../../util/discard.js';
import { KilnError } from '../../util/errors.js';
import type { ImageEngine } from '../images/engine.js';
import { findImage } from '../images/local.js';
import { killContainer, stopContainer } from '../containers/lifecycle.js';
import { stopsByHand } from '../containers/restart-policy.js';
import { listContainers } from '../containers/list.js';
import type { ContainerRecord } from '../containers/record.js';
import { removeContainer } from '../containers/remove.js';
import { ContainerStartError, createContainer } from '../containers/run.js';
import { parseSignal } from '../containers/signals.js';
import { ContainerStore } from '../containers/store.js';
import { attachRoutes } from './docker-attach.js';
import { containerMatches, parseContainerFilters } from './docker-container-filters.js';
import { dockerContainerJson, dockerContainerSummary } from './docker-container-json.js';
import { parseFilters, untilTime } from './docker-image-filters.js';
import { parseCreateBody } from './docker-create-body.js';
import { execRoutes } from './docker-exec.js';
import { logsRoutes } from './docker-logs.js';
import { networkRoutes } from './docker-networks.js';
import { findContainer, queryFlag, queryInt } from './docker-query.js';
import type { SupervisedRuns } from './supervised-runs.js';
import { settled } from './container-routes.js';
import { volumeRoutes } from './docker-volumes.js';
import { serveWait } from './docker-wait.js';
import { readJson, sendJson, type RequestContext, type Router } from './http.js';
import type { ForegroundRuns } from './run-route.js';

interface Context {
  engine: ImageEngine;
  /** Every run of this daemon, for kill (SIGKILL as an abort) and shutdown. */
  foreground: ForegroundRuns;
  runs: SupervisedRuns;
}

function container(ctx: RequestContext): string {
  return ctx.params[0] ?? '';
}

/** Running, or being started here. */
function live(c: Context, record: ContainerRecord): boolean {
  return record.state.status === 'running' || c.runs.active(record.id) !== undefined;
}

async function serveCreate({ engine }: Context, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const { options, warnings } = parseCreateBody(await readJson(ctx.req), ctx.query.get('name') ?? undefined);
  // A missing image is a 404 for docker run to pull it and retry (trap 9): never pulled here.
  await findImage(engine, options.image, { allNames: false });
  const { record } = await createContainer(engine, options, discard());
  ctx.log.info('container created', { reqId: ctx.reqId, container: record.id });
  sendJson(res, 201, { Id: record.id, Warnings: warnings });
}

/** runc's reason, in the words of dockerd's start error, which the CLI reads its exit code from. */
function startError(err: unknown): unknown {
  if (!(err instanceof ContainerStartError)) return err;
  const reason = err.message.replace(/^container [0-9a-f]{64}: /, '');
  return new KilnError('INVALID_ARGUMENT', `failed to create task for container: OCI runtime create failed: ${reason}: unknown`);
}

async function start(c: Context, record: ContainerRecord): Promise<void> {
  try {
    await c.runs.start(record);
  } catch (err) {
    throw startError(err);
  }
}

async function serveStart(c: Context, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const record = await findContainer(c.engine, container(ctx));
  if (live(c, record)) {
    res.writeHead(304).end();
    return;
  }
  await start(c, record);
  res.writeHead(204).end();
}

/**
 * Stops a live container and waits until a run of this daemon, detached or attached, is torn
 * down too, so rm may follow; a start still under way has no process to signal yet: it is aborted.
 */
async function stop(c: Context, record: ContainerRecord, seconds: number | undefined): Promise<void> {
  c.runs.stopByHand(record.id);
  if (record.state.status === 'running') await stopContainer(c.engine, record.id, seconds);
  await settled(c, record.id);
}

async function serveStop(c: Context, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const seconds = queryInt(ctx.query, 't');
  const record = await findContainer(c.engine, container(ctx));
  // Also a restart its policy has yet to make.
  c.runs.stopByHand(record.id);
  if (!live(c, record)) {
    res.writeHead(304).end();
    return;
  }
  await stop(c, record, seconds);
  res.writeHead(204).end();
}

async function serveRestart(c: Context, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const seconds = queryInt(ctx.query, 't');
  let record = await findContainer(c.engine, container(ctx));
  if (live(c, record)) {
    await stop(c, record, seconds);
    record = await findContainer(c.engine, record.id);
  }
  await start(c, record);
  res.writeHead(204).end();
}

async function serveKill(c: Context, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const signal = parseSignal(ctx.query.get('signal') || 'SIGKILL', 'signal');
  const record = await findContainer(c.engine, container(ctx));
  if (!live(c, record)) throw new KilnError('CONFLICT', `Cannot kill container: ${container(ctx)}: Container ${record.id} is not running`);
  if (stopsByHand(signal, record)) c.runs.stopByHand(record.id);
  // A run of this daemon is killed through its abort, which also covers a start under way.
  if (!(signal === 'SIGKILL' && c.foreground.abort(record.id))) await killContainer(c.engine, record.id, signal);
  res.writeHead(204).end();
}

async function serveRemove(c: Context, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const force = queryFlag(ctx.query, 'force');
  const record = await findContainer(c.engine, container(ctx));
  if (live(c, record) && !force) {
    throw new KilnError('CONFLICT', `You cannot remove a running container ${record.id}. Stop the container before attempting removal or force remove`);
  }
  await settled(c, record.id);
  try {
    await removeContainer(c.engine, record.id, { force, volumes: queryFlag(ctx.query, 'v') });
  } catch (err) {
    // A --rm container's run, just settled, removed it already.
    if (!(err instanceof KilnError && err.code === 'NOT_FOUND' && record.config.autoRemove)) throw err;
  }
  c.runs.removed(record.id);
  res.writeHead(204).end();
}

async function serveResize(c: Context, ctx: RequestContext, res: ServerResponse): Promise<void> {
  for (const name of ['h', 'w']) {
    if ((queryInt(ctx.query, name) ?? 0) < 0) throw new KilnError('INVALID_ARGUMENT', `invalid value for ${name}: must not be negative`);
  }
  const record = await findContainer(c.engine, container(ctx));
  const [height, width] = [queryInt(ctx.query, 'h'), queryInt(ctx.query, 'w')];
  // Without a terminal run here (none, or it has just ended) there is nothing to size: accepted,
  // as the CLI resizes on every start.
  if (height !== undefined && width !== undefined) await c.foreground.resize(record.id, { height, width });
  res.writeHead(200).end();
}

async function serveList({ engine }: Context, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const filters = parseContainerFilters(ctx.query.get('filters'));
  const limit = queryInt(ctx.query, 'limit') ?? -1;
  const all = queryFlag(ctx.query, 'all') || limit > 0;
  const records = (await listContainers(engine)).filter((r) => (all || r.state.status === 'running') && containerMatches(filters, r));
  const shown = limit > 0 ? records.slice(0, limit) : records;
  const now = Date.now();
  sendJson(res, 200, await Promise.all(shown.map((record) => dockerContainerSummary(engine.root, record, now))));
}

/** `docker container prune`: every container that does not run, of those `label` and `until` select. */
async function servePrune(c: Context, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const filters = parseFilters(ctx.query.get('filters'), ['label', 'until']);
  const until = untilTime(filters);
  const labels = new Map([...filters].filter(([name]) => name === 'label'));
  const deleted: string[] = [];
  for (const record of await listContainers(c.engine)) {
    if (live(c, record) || !containerMatches(labels, record) || (until !== undefined && Date.parse(record.created) >= until)) continue;
    await removeContainer(c.engine, record.id);
    c.runs.removed(record.id);
    deleted.push(record.id);
  }
  sendJson(res, 200, { ContainersDeleted: deleted.length === 0 ? null : deleted, SpaceReclaimed: 0 });
}

async function serveInspect({ engine }: Context, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const record = await findContainer(engine, container(ctx));
  sendJson(res, 200, await dockerContainerJson(engine.root, new ContainerStore(engine.root), record));
}

/** Registers the routes; the answer is the daemon's detached runs, which the native API starts too. */
export function dockerContainerRoutes(router: Router, engine: ImageEngine, foreground: ForegroundRuns, runs: SupervisedRuns): void {
  const c: Context = { engine, foreground, runs };
  const id = '([^/]+)';
  router
    .on('POST', /^\/containers\/create$/, (ctx, res) => serveCreate(c, ctx, res))
    .on('GET', /^\/containers\/json$/, (ctx, res) => serveList(c, ctx, res))
    .on('POST', /^\/containers\/prune$/, (ctx, res) => servePrune(c, ctx, res))
    .on('GET', new RegExp(`^/containers/${id}/json$`), (ctx, res) => serveInspect(c, ctx, res))
    .on('POST', new RegExp(`^/containers/${id}/start$`), (ctx, res) => serveStart(c, ctx, res))
    .on('POST', new RegExp(`^/containers/${id}/stop$`), (ctx, res) => serveStop(c, ctx, res))
    .on('POST', new RegExp(`^/containers/${id}/restart$`), (ctx, res) => serveRestart(c, ctx, res))
    .on('POST', new RegExp(`^/containers/${id}/kill$`), (ctx, res) => serveKill(c, ctx, res))
    .on('POST', new RegExp(`^/containers/${id}/wait$`), (ctx, res) => serveWait(engine, c.runs, ctx, res))
    .on('POST', new RegExp(`^/containers/${id}/resize$`), (ctx, res) => serveResize(c, ctx, res))
    .on('DELETE', new RegExp(`^/containers/${id}$`), (ctx, res) => serveRemove(c, ctx, res));
  attachRoutes(router, engine, c.runs);
  logsRoutes(router, engine, c.runs);
  execRoutes(router, engine);
  volumeRoutes(router, engine);
  networkRoutes(router, engine);
}
