// `POST /containers/{id}/wait?condition=`: docker run waits with `next-exit` (`removed` with
// --rm) before it starts the container, docker wait with no condition (`not-running`). The
// response headers go out at once, since both clients block on them before they send the
// start (engine-api.md trap 1); the body `{"Error":null,"StatusCode":N}` follows at the end.
//
// A run of this daemon's Docker API announces its end and removal (SupervisedRuns), which is how a
// `--rm` container gone within milliseconds still gives its code (trap 2). Whatever else may
// end or remove a container (a foreground `kiln run`, a stop) is noticed by polling its record. A client that goes away (docker run -d drops its wait) just ends the wait.
import type { ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { KilnError } from '../../util/errors.js';
import type { ImageEngine } from '../images/engine.js';
import { reconcile } from '../containers/reconcile.js';
import type { ContainerRecord } from '../containers/record.js';
import { ContainerStore } from '../containers/store.js';
import type { SupervisedRuns } from './supervised-runs.js';
import type { RequestContext } from './http.js';

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

const conditions = new Set<string>(['not-running', 'next-exit', 'removed']);
const pollMs = 100;

function conditionOf(text: string | null): WaitCondition {
  // Absent is not-running (trap 10); an empty value is what older clients send for it.
  if (text === null || text === '') return 'not-running';
  if (!conditions.has(text)) throw new KilnError('INVALID_ARGUMENT', `invalid condition: "${text}": one of not-running, next-exit or removed`);
  return text as WaitCondition;
}

/**
 * Resolves with the container's exit code once `condition` holds, or with -1 when `signal`
 * aborts first. Everything it listens to is registered before it returns.
 */
export function waitFor(engine: ImageEngine, runs: SupervisedRuns, record: ContainerRecord, condition: WaitCondition, signal: AbortSignal): Promise<number> {
  const { id } = record;
  const store = new ContainerStore(engine.root);
  return new Promise<number>((resolve) => {
    let last = record.state.exitCode ?? 0;
    let settled = false;
    const cleanups: (() => void)[] = [];
    const finish = (code: number): void => {
      if (settled) return;
      settled = true;
      for (const cleanup of cleanups) cleanup();
      resolve(code);
    };
    cleanups.push(runs.onEnd(id, (end) => {
      last = end.exitCode;
      if (condition !== 'removed' || end.removed) finish(end.exitCode);
    }));
    cleanups.push(runs.onRemoved(id, () => finish(last)));
    const onAbort = (): void => finish(-1);
    signal.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => signal.removeEventListener('abort', onAbort));
    if (condition === 'not-running' && runs.active(id) === undefined && record.state.status !== 'running') {
      finish(last);
      return;
    }
    const startingFinish = record.state.finishedAt;
    void (async () => {
      while (!settled) {
        await delay(pollMs);
        // This daemon's own run announces its end: polling it could see a --rm record gone first.
        if (settled || runs.active(id) !== undefined) continue;
        const found = await store.get(id).catch(() => undefined);
        if (settled || runs.active(id) !== undefined) continue;
        if (found === undefined) {
          finish(last);
          return;
        }
        const current = await reconcile(store, engine.root, found).catch(() => found);
        last = current.state.exitCode ?? last;
        const ended = current.state.status !== 'running' && !(current.state.status === 'created' && condition !== 'not-running');
        if (condition === 'not-running' && ended) finish(last);
        if (condition === 'next-exit' && ended && current.state.finishedAt !== startingFinish) finish(last);
      }
    })();
  });
}

export async function serveWait(engine: ImageEngine, runs: SupervisedRuns, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const condition = conditionOf(ctx.query.get('condition'));
  const store = new ContainerStore(engine.root);
  const record = await reconcile(store, engine.root, await store.find(ctx.params[0] ?? ''));
  const gone = new AbortController();
  res.once('close', () => gone.abort());
  const exitCode = waitFor(engine, runs, record, condition, gone.signal);
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  const statusCode = await exitCode;
  if (!res.destroyed && !res.writableEnded) res.end(`${JSON.stringify({ Error: null, StatusCode: statusCode })}\n`);
}
