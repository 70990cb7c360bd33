// `GET /kiln/v1/containers/{container}/logs[?tail=N][&follow=true]` (src/api/containers.ts): the
// container's json log as the CLI prints it, one `{"entry"}` line per logged line, stdout and
// stderr told apart, then `{"result":{}}`. With follow the answer stays open and entries go out
// as they are logged until the container no longer runs, as the Docker API's logs do
// (docker-logs.ts); a client that leaves ends it. The CLI adds the timestamps itself.
import type { ServerResponse } from 'node:http';
import type { LogsMessage } from '../../api/containers.js';
import { logPathOf, readLogEntries, type LogEntry } from '../containers/log-file.js';
import { ContainerStore } from '../containers/store.js';
import type { ContainerRoutesContext } from './container-routes.js';
import { queryTail } from './container-request.js';
import { follow } from './docker-logs.js';
import { findContainer } from './docker-query.js';
import type { RequestContext, Router } from './http.js';
import { queryBoolean } from './image-request.js';
import { openLineStream } from './json-stream.js';

async function serveLogs(c: ContainerRoutesContext, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const tail = queryTail(ctx.query);
  const following = queryBoolean(ctx.query, 'follow');
  const record = await findContainer(c.engine, ctx.params[0] ?? '');
  const { entries, next } = await readLogEntries(logPathOf(new ContainerStore(c.engine.root).containerDir(record.id), record.id));
  let gone = false;
  res.once('close', () => (gone = true));
  const stream = openLineStream<LogsMessage>(res);
  const send = (shown: LogEntry[]): void => {
    for (const entry of shown) stream.send({ entry });
  };
  try {
    send(tail === Infinity ? entries : entries.slice(Math.max(0, entries.length - tail)));
    if (following) await follow(c.engine, c.runs, record, send, next, () => gone);
    stream.send({ result: {} });
    stream.end();
  } catch (err) {
    stream.fail(err);
  }
}

export function containerLogsRoutes(router: Router, c: ContainerRoutesContext): void {
  router.on('GET', /^\/kiln\/v1\/containers\/([^/]+)\/logs$/, (ctx, res) => serveLogs(c, ctx, res));
}
