// `POST /kiln/v1/containers` (src/api/containers.ts): `kiln run -d`. The container is created as
// an attached run's is (its image pulled when missing, the pull's lines sent on as `stderr`
// messages), then started under this daemon's supervision exactly as a Docker API start
// (supervised-runs.ts): its output goes to its json log, `docker attach` and `docker logs -f` reach
// it, kill, stop and the daemon's shutdown end it. The answer's `result` comes once runc runs the
// container's process (or it has already ended); a start failure comes as an `error` with the
// exit status docker run gives it (127 / 126 when the command could not be run, else 125).
//
// A kill -9 of the daemon leaves the record saying running under a dead supervisor; the next
// daemon's recovery (reconcile.ts) kills what still runs and records the container as exited.
import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { containersPath, type DetachedRunMessage } from '../../api/containers.js';
import { createContainer } from '../containers/run.js';
import type { ContainerRoutesContext } from './container-routes.js';
import { readJson, type RequestContext, type Router } from './http.js';
import { abortOnHangUp, openLineStream, type LineStream } from './json-stream.js';
import { errorMessage } from './logger.js';
import { parseRunOptions } from './run-options.js';
import { runFailure } from './run-route.js';

/** What the run writes to its stderr before it starts, as messages. */
function stderrMessages(stream: LineStream<DetachedRunMessage>): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      stream.send({ stderr: chunk.toString('utf8') });
      done();
    },
  });
}

async function serveDetachedRun(c: ContainerRoutesContext, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const options = parseRunOptions(await readJson(ctx.req));
  // A client that leaves during the pull cancels it; once created, the container is started regardless.
  const signal = abortOnHangUp(res);
  const stream = openLineStream<DetachedRunMessage>(res);
  let id: string | undefined;
  try {
    const { record } = await createContainer(c.engine, options, stderrMessages(stream), signal);
    id = record.id;
    stream.send({ created: { id } });
    await c.runs.start(record);
    ctx.log.info('container started', { reqId: ctx.reqId, container: id, detached: true });
    stream.send({ result: { id } });
  } catch (err) {
    ctx.log.info('run failed', { reqId: ctx.reqId, ...(id === undefined ? {} : { container: id }), error: errorMessage(err) });
    stream.send({ error: runFailure(err) });
  }
  stream.end();
}

export function detachedRunRoutes(router: Router, c: ContainerRoutesContext): void {
  router.on('POST', new RegExp(`^${containersPath}$`), (ctx, res) => serveDetachedRun(c, ctx, res));
}
