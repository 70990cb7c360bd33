// kilnd's native container API (src/api/containers.ts) for the kiln CLI: list, inspect, stop,
// wait and remove, each one request and one JSON answer, with kiln's own messages (the CLI
// prints them as it did when it ran these in-process). This module also registers logs
// (container-logs-route.ts) and the detached run (container-detached-route.ts); the attached
// run and kill are run-route.ts's.
//
// Containers run by this daemon, attached (`kiln run`) or detached (`kiln run -d`, the Docker
// API), are supervised here: their record names this process, so a stop or rm waits until the
// run here has ended and torn down (unmounted, released its network) before it answers or
// removes, instead of racing the run's own cleanup.
import type { ServerResponse } from 'node:http';
import { containersPath, type ContainerSummary, type WaitResponse } from '../../api/containers.js';
import { KilnError } from '../../util/errors.js';
import type { ImageEngine } from '../images/engine.js';
import { inspectContainer } from '../containers/inspect.js';
import { stopContainer } from '../containers/lifecycle.js';
import { listContainers } from '../containers/list.js';
import { runningEndpoint } from '../containers/network-settings.js';
import { commandLine, type ContainerRecord } from '../containers/record.js';
import { removalRefused, removeContainer } from '../containers/remove.js';
import { detachedRunRoutes } from './container-detached-route.js';
import { containerLogsRoutes } from './container-logs-route.js';
import { queryCount } from './container-request.js';
import { findContainer } from './docker-query.js';
import type { SupervisedRuns } from './supervised-runs.js';
import { waitFor } from './docker-wait.js';
import { sendJson, type RequestContext, type Router } from './http.js';
import { queryBoolean } from './image-request.js';
import type { ForegroundRuns } from './run-route.js';

export interface ContainerRoutesContext {
  engine: ImageEngine;
  /** Every run of this daemon, attached or detached: abort kills its container. */
  foreground: ForegroundRuns;
  /** The detached runs, with their ends announced. */
  runs: SupervisedRuns;
}

function container(ctx: RequestContext): string {
  return ctx.params[0] ?? '';
}

/**
 * Resolves once this daemon's run of `id`, if any (detached or attached), has ended and torn
 * down; a run still going, or a start still under way, is killed. It is the user's stop.
 */
export async function settled(c: ContainerRoutesContext, id: string): Promise<void> {
  c.runs.stopByHand(id);
  const run = c.runs.active(id);
  c.foreground.abort(id);
  await (run ?? c.foreground.ended(id));
}

async function summary(root: string, record: ContainerRecord): Promise<ContainerSummary> {
  const { status, exitCode, startedAt, finishedAt } = record.state;
  return {
    id: record.id, name: record.name, image: record.image, command: commandLine(record), created: record.created,
    state: {
      status,
      ...(exitCode === undefined ? {} : { exitCode }),
      ...(startedAt === undefined ? {} : { startedAt }),
      ...(finishedAt === undefined ? {} : { finishedAt }),
    },
    ports: (await runningEndpoint(root, record))?.ports ?? [],
  };
}

async function serveList(c: ContainerRoutesContext, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const all = queryBoolean(ctx.query, 'all');
  const records = (await listContainers(c.engine)).filter((record) => all || record.state.status === 'running');
  sendJson(res, 200, await Promise.all(records.map((record) => summary(c.engine.root, record))));
}

/** Stops the container (no error when it does not run) and waits for a run here to tear down. */
async function serveStop(c: ContainerRoutesContext, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const seconds = queryCount(ctx.query, 't');
  const record = await findContainer(c.engine, container(ctx));
  c.runs.stopByHand(record.id);
  if (record.state.status === 'running') await stopContainer(c.engine, record.id, seconds);
  await settled(c, record.id);
  res.writeHead(204).end();
}

/** Answers once the container does not run (at once when it does not); a client that leaves ends the wait. */
async function serveWait(c: ContainerRoutesContext, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const record = await findContainer(c.engine, container(ctx));
  const gone = new AbortController();
  res.once('close', () => gone.abort());
  const exitCode = await waitFor(c.engine, c.runs, record, 'not-running', gone.signal);
  if (!gone.signal.aborted) sendJson(res, 200, { exitCode } satisfies WaitResponse);
}

async function serveRemove(c: ContainerRoutesContext, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const force = queryBoolean(ctx.query, 'force');
  const volumes = queryBoolean(ctx.query, 'volumes');
  const record = await findContainer(c.engine, container(ctx));
  // A start under way here counts as running.
  if (!force && (record.state.status === 'running' || c.runs.active(record.id) !== undefined)) throw removalRefused(record);
  await settled(c, record.id);
  try {
    await removeContainer(c.engine, record.id, { force, volumes });
  } catch (err) {
    // A --rm container's run, just settled, removed it already.
    if (!(err instanceof KilnError && err.code === 'NOT_FOUND' && record.config.autoRemove)) throw err;
  }
  c.runs.removed(record.id);
  ctx.log.info('container removed', { reqId: ctx.reqId, container: record.id });
  res.writeHead(204).end();
}

export function nativeContainerRoutes(router: Router, engine: ImageEngine, foreground: ForegroundRuns, runs: SupervisedRuns): void {
  const c: ContainerRoutesContext = { engine, foreground, runs };
  const one = new RegExp(`^${containersPath}/([^/]+)$`);
  router
    .on('GET', new RegExp(`^${containersPath}$`), (ctx, res) => serveList(c, ctx, res))
    .on('GET', one, async (ctx, res) => sendJson(res, 200, await inspectContainer(engine, container(ctx))))
    .on('DELETE', one, (ctx, res) => serveRemove(c, ctx, res))
    .on('POST', new RegExp(`^${containersPath}/([^/]+)/stop$`), (ctx, res) => serveStop(c, ctx, res))
    .on('POST', new RegExp(`^${containersPath}/([^/]+)/wait$`), (ctx, res) => serveWait(c, ctx, res));
  containerLogsRoutes(router, c);
  detachedRunRoutes(router, c);
}
