// `POST /kiln/v1/containers/{container}/exec` (src/api/exec.ts): `kiln exec`, one more process
// in a running container, run here as the Docker API's exec is (execInContainer). The request
// is an upgrade; the container is checked before the switch, so that a missing or stopped one
// is an ordinary 404 / 409. The connection then carries frames as a foreground run's does: the
// exec's id, the process's output (the pty's bytes with a terminal), its exit or failure (126 /
// 127 when the command could not be run, else 1 as docker exec's). With `interactive` what the
// client sends is the process's stdin up to its half-close; with `detach` the exit comes (code
// 0) once the process runs, and it goes on unwatched.
//
// `POST /kiln/v1/exec/{id}/kill` ends a running exec (SIGTERM, which runc passes on), as the
// CLI's SIGINT / SIGTERM do; `/resize` sets its terminal's window size. A client that goes away
// does not end the process, as with docker.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ExecRequest } from '../../api/exec.js';
import { STDERR, STDOUT, type RunFailure } from '../../api/frames.js';
import { ConsoleSize, type RunIO } from '../../executor/index.js';
import { discard } from '../../util/discard.js';
import { KilnError } from '../../util/errors.js';
import { execInContainer, ExecStartError } from '../containers/exec.js';
import type { ImageEngine } from '../images/engine.js';
import { findContainer } from './docker-query.js';
import { acceptUpgrade, switchProtocols, type RequestContext, type Router } from './http.js';
import { errorMessage } from './logger.js';
import { startWindowSize, windowSizeQuery } from './run-options.js';
import { attachStdin, frameWriter, runFailure, sendControl } from './run-route.js';

interface RunningExec {
  controller: AbortController;
  consoleSize?: ConsoleSize;
}

function invalid(message: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `invalid exec request: ${message}`);
}

function optional<T>(body: Record<string, unknown>, key: string, kind: 'string' | 'boolean'): T | undefined {
  const value = body[key];
  if (value !== undefined && typeof value !== kind) throw invalid(`"${key}" must be a ${kind}`);
  return value as T | undefined;
}

function strings(body: Record<string, unknown>, key: string): string[] | undefined {
  const value = body[key];
  if (value !== undefined && !(Array.isArray(value) && value.every((item) => typeof item === 'string'))) throw invalid(`"${key}" must be an array of strings`);
  return value as string[] | undefined;
}

const known = new Set(['args', 'env', 'workingDir', 'user', 'tty', 'interactive', 'detach']);

/** The body's shapes, each field named when wrong; what the values mean is execInContainer's to judge. */
export function parseExecRequest(value: unknown): ExecRequest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('the body must be a JSON object');
  const body = value as Record<string, unknown>;
  const unknown = Object.keys(body).find((key) => !known.has(key));
  if (unknown !== undefined) throw invalid(`unknown field "${unknown}"`);
  const args = strings(body, 'args');
  if (args === undefined || args.length === 0) throw invalid('"args" must name the command');
  const env = strings(body, 'env');
  const workingDir = optional<string>(body, 'workingDir', 'string');
  const user = optional<string>(body, 'user', 'string');
  const tty = optional<boolean>(body, 'tty', 'boolean');
  const interactive = optional<boolean>(body, 'interactive', 'boolean');
  const detach = optional<boolean>(body, 'detach', 'boolean');
  return {
    args,
    ...(env === undefined ? {} : { env }),
    ...(workingDir === undefined ? {} : { workingDir }),
    ...(user === undefined ? {} : { user }),
    ...(tty === undefined ? {} : { tty }),
    ...(interactive === undefined ? {} : { interactive }),
    ...(detach === undefined ? {} : { detach }),
  };
}

/** The exit status `kiln exec` gives a failure: 126 / 127 when the command could not be run, else kiln's own. */
function execFailure(err: unknown): RunFailure {
  const exitStatus = err instanceof ExecStartError ? err.exitStatus : err instanceof KilnError ? err.exitCode : 1;
  return { ...runFailure(err), exitStatus };
}

class NativeExecs {
  private readonly running = new Map<string, RunningExec>();

  constructor(private readonly engine: ImageEngine) {}

  private find(id: string): RunningExec {
    const exec = this.running.get(id);
    if (exec === undefined) throw new KilnError('NOT_FOUND', `No such exec instance: ${id}`);
    return exec;
  }

  kill(id: string): void {
    this.find(id).controller.abort();
  }

  async resize(id: string, ctx: RequestContext): Promise<void> {
    const size = windowSizeQuery(ctx.query);
    const { consoleSize } = this.find(id);
    if (consoleSize === undefined) throw new KilnError('CONFLICT', `exec ${id} has no terminal`);
    await consoleSize.resize(size);
  }

  async serve(ctx: RequestContext, socket: Duplex, head: Buffer): Promise<void> {
    const { body, rest } = await acceptUpgrade(ctx, socket, head);
    const request = parseExecRequest(body);
    const size = startWindowSize(ctx.query);
    const container = await findContainer(this.engine, ctx.params[0] ?? '');
    if (container.state.status !== 'running') throw new KilnError('CONFLICT', `Container ${container.id} is not running`);
    switchProtocols(ctx, socket);
    const attached = request.detach !== true;
    const exec: RunningExec = { controller: new AbortController(), ...(attached && request.tty === true ? { consoleSize: new ConsoleSize(size) } : {}) };
    const io = attached ? attachedIO(socket, rest, request, exec) : detachedIO(socket);
    const id = randomBytes(32).toString('hex');
    this.running.set(id, exec);
    sendControl(socket, { created: { id } });
    try {
      const code = await execInContainer(this.engine, container.id, request, io, exec.controller.signal);
      ctx.log.info('exec ended', { reqId: ctx.reqId, container: container.id, exec: id, exitCode: code, ...(attached ? {} : { detached: true }) });
      sendControl(socket, { exit: { code } });
    } catch (err) {
      ctx.log.info('exec failed', { reqId: ctx.reqId, container: container.id, exec: id, error: errorMessage(err) });
      sendControl(socket, { error: execFailure(err) });
    } finally {
      this.running.delete(id);
      socket.end();
    }
  }
}

/** The process's output as frames on the connection, its stdin from it with -i, its terminal's size. */
function attachedIO(socket: Duplex, rest: Buffer, request: ExecRequest, exec: RunningExec): RunIO {
  const stdin = request.interactive === true ? attachStdin(socket, rest) : undefined;
  if (stdin === undefined) socket.resume();
  return {
    stdout: frameWriter(socket, STDOUT), stderr: frameWriter(socket, STDERR),
    ...(stdin === undefined ? {} : { stdin }), ...(exec.consoleSize === undefined ? {} : { consoleSize: exec.consoleSize }),
  };
}

/** Nothing attached: runc gives the process /dev/null. */
function detachedIO(socket: Duplex): RunIO {
  socket.resume();
  return { stdout: discard(), stderr: discard() };
}

export function nativeExecRoutes(router: Router, engine: ImageEngine): void {
  const execs = new NativeExecs(engine);
  router.onUpgrade('POST', /^\/kiln\/v1\/containers\/([^/]+)\/exec$/, (ctx, socket, head) => execs.serve(ctx, socket, head));
  router.on('POST', /^\/kiln\/v1\/containers\/([^/]+)\/exec$/, () => {
    throw new KilnError('INVALID_ARGUMENT', 'an exec takes over the connection: send it with Connection: Upgrade and Upgrade: tcp');
  });
  router.on('POST', /^\/kiln\/v1\/exec\/([^/]+)\/kill$/, async (ctx, res: ServerResponse) => {
    execs.kill(ctx.params[0] ?? '');
    res.writeHead(204).end();
  });
  router.on('POST', /^\/kiln\/v1\/exec\/([^/]+)\/resize$/, async (ctx, res: ServerResponse) => {
    await execs.resize(ctx.params[0] ?? '', ctx);
    res.writeHead(204).end();
  });
}
