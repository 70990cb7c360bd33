// `POST /kiln/v1/containers/run` (an upgrade: the connection becomes the container's attach
// stream), `POST /kiln/v1/containers/{id}/kill` and `/resize`. A run is created and started
// here; its output goes out as multiplexed frames (with a terminal, the pty's bytes in stdout
// frames), its id, exit or failure as control frames. A client that goes away does not stop the
// container, as a detaching docker client does not: it runs to its end with its output in its
// json log, and is torn down as usual. A terminal's window size is set by resize requests
// (the CLI's SIGWINCH, docker's resize) on whichever run of this daemon has it.
import type { ServerResponse } from 'node:http';
import { PassThrough, Writable, type Duplex } from 'node:stream';
import { encodeControl, encodeFrame, STDERR, STDOUT, type ControlMessage, type RunFailure, type WindowSize } from '../../api/frames.js';
import { ConsoleSize } from '../../executor/index.js';
import { KilnError } from '../../util/errors.js';
import type { ImageEngine } from '../images/engine.js';
import { killContainer } from '../containers/lifecycle.js';
import { stopsByHand } from '../containers/restart-policy.js';
import type { SupervisedRuns } from './supervised-runs.js';
import { ContainerStartError, createContainer, startContainer } from '../containers/run.js';
import { parseSignal } from '../containers/signals.js';
import { acceptUpgrade, switchProtocols, type RequestContext, type Router } from './http.js';
import { errorMessage } from './logger.js';
import { findContainer } from './docker-query.js';
import { parseRunOptions, startWindowSize, windowSizeQuery } from './run-options.js';

/** docker run's exit status for a failure of docker itself. */
const runFailureExitStatus = 125;

/** The runs this daemon supervises, so that kill, resize and shutdown reach them. */
export class ForegroundRuns {
  private readonly controllers = new Map<string, AbortController>();
  private readonly consoles = new Map<string, ConsoleSize>();
  /** Resolves once the registered run of each id has torn down (unregistered). */
  private readonly ends = new Map<string, { ended: Promise<void>; end: () => void }>();
  private readonly running = new Set<Promise<void>>();

  track(run: Promise<void>): void {
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** `consoleSize`: the window size of the container's terminal, when it has one. */
  register(id: string, controller: AbortController, consoleSize?: ConsoleSize): void {
    this.controllers.set(id, controller);
    if (consoleSize !== undefined) this.consoles.set(id, consoleSize);
    let end = (): void => undefined;
    const ended = new Promise<void>((resolve) => {
      end = resolve;
    });
    this.ends.set(id, { ended, end });
  }

  unregister(id: string): void {
    this.controllers.delete(id);
    this.consoles.delete(id);
    this.ends.get(id)?.end();
    this.ends.delete(id);
  }

  /** Resolves once the run of `id` here has torn down; at once when none is registered. */
  ended(id: string): Promise<void> {
    return this.ends.get(id)?.ended ?? Promise.resolve();
  }

  /** Sets the window size of the terminal of `id`'s run; false when no run here has one. */
  async resize(id: string, size: WindowSize): Promise<boolean> {
    const consoleSize = this.consoles.get(id);
    await consoleSize?.resize(size);
    return consoleSize !== undefined;
  }

  /** Aborts the run of `id` (its container is SIGKILLed); false when this daemon does not run it. */
  abort(id: string): boolean {
    const controller = this.controllers.get(id);
    controller?.abort();
    return controller !== undefined;
  }

  /** Set once the daemon shuts down: ends from here on are the daemon's doing, not restarted. */
  stopping = false;

  /** Kills every container run here and waits until each is torn down. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    const reason = new KilnError('CANCELED', 'the kiln daemon is shutting down', { hint: 'run the command again once the daemon is back' });
    for (const controller of this.controllers.values()) controller.abort(reason);
    await Promise.allSettled([...this.running]);
  }
}

/**
 * A stream of the process's output as frames (`raw`: as it is, a terminal's bytes for the Docker
 * API); writes wait while the socket is full, and are dropped once the client is gone.
 */
export function frameWriter(socket: Duplex, stream: typeof STDOUT | typeof STDERR, raw = false): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (socket.destroyed || !socket.writable || socket.write(raw ? chunk : encodeFrame(stream, chunk))) {
        done();
        return;
      }
      const resume = (): void => {
        socket.off('drain', resume).off('close', resume);
        done();
      };
      socket.on('drain', resume).on('close', resume);
    },
  });
}

export function sendControl(socket: Duplex, message: ControlMessage): void {
  if (!socket.destroyed && socket.writable) socket.write(encodeControl(message));
}

export function runFailure(err: unknown): RunFailure {
  const exitStatus = err instanceof ContainerStartError ? err.exitStatus : runFailureExitStatus;
  if (!(err instanceof KilnError)) return { message: errorMessage(err), code: 'INTERNAL', exitStatus, internal: true };
  return { message: err.message, code: err.code, ...(err.hint === undefined ? {} : { hint: err.hint }), exitStatus };
}

/** The process's stdin: what followed the body, then whatever the client sends until it half-closes. */
export function attachStdin(socket: Duplex, rest: Buffer): PassThrough {
  const stdin = new PassThrough();
  if (rest.length > 0) stdin.write(rest);
  socket.pipe(stdin);
  socket.once('close', () => stdin.end());
  return stdin;
}

async function serveRun(engine: ImageEngine, runs: ForegroundRuns, ctx: RequestContext, socket: Duplex, head: Buffer): Promise<void> {
  const { body, rest } = await acceptUpgrade(ctx, socket, head);
  const options = parseRunOptions(body);
  // An attached run lives and ends with this connection: only the daemon's own supervision
  // (a detached run) can start it again.
  if (options.restart !== undefined && options.restart !== 'no') {
    throw new KilnError('INVALID_ARGUMENT', '--restart: kiln restarts detached containers only', { hint: 'run it with -d', details: { flag: '--restart' } });
  }
  const size = startWindowSize(ctx.query);
  const started = performance.now();
  switchProtocols(ctx, socket);
  const stdin = options.interactive === true ? attachStdin(socket, rest) : undefined;
  if (stdin === undefined) socket.resume();
  const terminal = options.tty === true ? new ConsoleSize(size) : undefined;
  const io = {
    stdout: frameWriter(socket, STDOUT), stderr: frameWriter(socket, STDERR),
    ...(stdin === undefined ? {} : { stdin }), ...(terminal === undefined ? {} : { consoleSize: terminal }),
  };
  const controller = new AbortController();
  let id: string | undefined;
  try {
    const { record, image } = await createContainer(engine, options, io.stderr, controller.signal);
    id = record.id;
    runs.register(id, controller, terminal);
    sendControl(socket, { created: { id } });
    const code = await startContainer(engine, image, record, io, controller.signal);
    ctx.log.info('run ended', { reqId: ctx.reqId, container: id, exitCode: code, ms: Math.round(performance.now() - started) });
    sendControl(socket, { exit: { code } });
  } catch (err) {
    ctx.log.info('run failed', { reqId: ctx.reqId, ...(id === undefined ? {} : { container: id }), error: errorMessage(err) });
    sendControl(socket, { error: runFailure(err) });
  } finally {
    if (id !== undefined) runs.unregister(id);
    socket.end();
  }
}

async function serveKill(engine: ImageEngine, runs: ForegroundRuns, supervised: SupervisedRuns, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const signal = parseSignal(ctx.query.get('signal') ?? 'SIGKILL', 'signal');
  const record = await findContainer(engine, ctx.params[0] ?? '');
  if (stopsByHand(signal, record)) supervised.stopByHand(record.id);
  // A run of this daemon is killed through its abort, which also covers a container still being
  // prepared: runc is stopped as soon as it starts.
  if (!(signal === 'SIGKILL' && runs.abort(record.id))) await killContainer(engine, record.id, signal);
  res.writeHead(204).end();
}

/** The CLI's window size for a terminal of this daemon's: a conflict when the container has none here. */
async function serveResize(engine: ImageEngine, runs: ForegroundRuns, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const size = windowSizeQuery(ctx.query);
  const record = await findContainer(engine, ctx.params[0] ?? '');
  if (!(await runs.resize(record.id, size))) {
    throw new KilnError('CONFLICT', `container ${record.id} has no terminal running in this daemon`);
  }
  res.writeHead(204).end();
}

export function containerRoutes(router: Router, engine: ImageEngine, runs: ForegroundRuns, supervised: SupervisedRuns): void {
  router.onUpgrade('POST', /^\/kiln\/v1\/containers\/run$/, (ctx, socket, head) => {
    const run = serveRun(engine, runs, ctx, socket, head);
    runs.track(run.catch(() => undefined));
    return run;
  });
  router.on('POST', /^\/kiln\/v1\/containers\/run$/, () => {
    throw new KilnError('INVALID_ARGUMENT', 'a run takes over the connection: send it with Connection: Upgrade and Upgrade: tcp');
  });
  router.on('POST', /^\/kiln\/v1\/containers\/([^/]+)\/kill$/, (ctx, res) => serveKill(engine, runs, supervised, ctx, res));
  router.on('POST', /^\/kiln\/v1\/containers\/([^/]+)\/resize$/, (ctx, res) => serveResize(engine, runs, ctx, res));
}
