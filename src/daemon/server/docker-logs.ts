// `GET /containers/{id}/logs?stdout=1&stderr=1[&follow=1][&tail=N][&timestamps=1][&since=][&until=]`:
// the container's json log (log-file.ts) as stdcopy frames, one per line, or raw bytes for a
// container with a terminal (engine-api.md §3.14, §4.2), chunked with no Content-Type as
// dockerd sends it. With follow the body stays open and new lines go out as they are logged,
// until the container stops: a run of this daemon is waited for itself (its log is complete
// once the run has ended), anything else by polling its record. `kiln logs -f` follows the same
// way (container-logs-route.ts).
import type { ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { encodeFrame, STDERR, STDOUT } from '../../api/frames.js';
import { KilnError } from '../../util/errors.js';
import type { ImageEngine } from '../images/engine.js';
import { logPathOf, readLogEntries, type LogEntry } from '../containers/log-file.js';
import { reconcile } from '../containers/reconcile.js';
import type { ContainerRecord } from '../containers/record.js';
import { ContainerStore } from '../containers/store.js';
import { findContainer, queryFlag } from './docker-query.js';
import type { SupervisedRuns } from './supervised-runs.js';
import type { RequestContext, Router } from './http.js';

const followPollMs = 100;

interface LogQuery {
  streams: Set<string>;
  follow: boolean;
  timestamps: boolean;
  /** How many of the last lines; Infinity for all. */
  tail: number;
  /** Bounds in ms since the epoch. */
  since?: number;
  until?: number;
}

function invalid(message: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', message);
}

/** A unix time in seconds (with a fraction, as the CLI sends it); "0" or absent is no bound. */
function timeBound(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '' || value === '0') return undefined;
  if (!/^\d+(\.\d+)?$/.test(value)) throw invalid(`invalid value for ${name}: "${value}" is not a unix timestamp`);
  return Number(value) * 1000;
}

function parseLogQuery(query: URLSearchParams): LogQuery {
  const streams = new Set(['stdout', 'stderr'].filter((name) => queryFlag(query, name)));
  if (streams.size === 0) throw invalid('Bad parameters: you must choose at least one stream');
  const tailText = query.get('tail') ?? 'all';
  if (tailText !== 'all' && tailText !== '' && !/^-?\d+$/.test(tailText)) throw invalid(`invalid value for tail: "${tailText}": a number of lines or "all"`);
  // A negative count is all, as in docker.
  const tail = /^\d+$/.test(tailText) ? Number(tailText) : Infinity;
  const since = timeBound(query, 'since');
  const until = timeBound(query, 'until');
  return {
    streams, follow: queryFlag(query, 'follow'), timestamps: queryFlag(query, 'timestamps'), tail,
    ...(since === undefined ? {} : { since }), ...(until === undefined ? {} : { until }),
  };
}

function selected(query: LogQuery, entries: LogEntry[]): LogEntry[] {
  return entries.filter((entry) => {
    if (!query.streams.has(entry.stream)) return false;
    const time = Date.parse(entry.time);
    return !(query.since !== undefined && time < query.since) && !(query.until !== undefined && time > query.until);
  });
}

function send(res: ServerResponse, query: LogQuery, tty: boolean, entries: LogEntry[]): void {
  for (const entry of entries) {
    const payload = Buffer.from(query.timestamps ? `${entry.time} ${entry.log}` : entry.log);
    res.write(tty ? payload : encodeFrame(entry.stream === 'stderr' ? STDERR : STDOUT, payload));
  }
}

/** Whether the container still runs (or is being started here), for follow to go on. */
async function stillLive(engine: ImageEngine, runs: SupervisedRuns, id: string): Promise<boolean> {
  if (runs.active(id) !== undefined) return true;
  const store = new ContainerStore(engine.root);
  const record = await store.get(id);
  return record !== undefined && (await reconcile(store, engine.root, record)).state.status === 'running';
}

/**
 * Sends the entries logged from byte `from` on as they arrive, until the container no longer
 * runs (its last entries included) or `gone()` says the client has left.
 */
export async function follow(engine: ImageEngine, runs: SupervisedRuns, record: ContainerRecord, send: (entries: LogEntry[]) => void, from: number, gone: () => boolean): Promise<void> {
  const path = logPathOf(new ContainerStore(engine.root).containerDir(record.id), record.id);
  let next = from;
  for (let live = await stillLive(engine, runs, record.id); live && !gone();) {
    const run = runs.active(record.id);
    await (run === undefined ? delay(followPollMs) : Promise.race([run, delay(followPollMs)]));
    // The state first: whatever the run logged before it ended is in the file when read after.
    live = await stillLive(engine, runs, record.id);
    const read = await readLogEntries(path, next).catch(() => ({ entries: [], next }));
    next = read.next;
    send(read.entries);
  }
}

async function serveLogs(engine: ImageEngine, runs: SupervisedRuns, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const query = parseLogQuery(ctx.query);
  const record = await findContainer(engine, ctx.params[0] ?? '');
  const path = logPathOf(new ContainerStore(engine.root).containerDir(record.id), record.id);
  const { entries, next } = await readLogEntries(path);
  const tty = record.config.tty ?? false;
  let gone = false;
  res.once('close', () => (gone = true));
  res.writeHead(200);
  res.flushHeaders();
  const shown = selected(query, entries);
  send(res, query, tty, query.tail === Infinity ? shown : shown.slice(Math.max(0, shown.length - query.tail)));
  if (query.follow) await follow(engine, runs, record, (more) => send(res, query, tty, selected(query, more)), next, () => gone);
  res.end();
}

export function logsRoutes(router: Router, engine: ImageEngine, runs: SupervisedRuns): void {
  router.on('GET', /^\/containers\/([^/]+)\/logs$/, (ctx, res) => serveLogs(engine, runs, ctx, res));
}
