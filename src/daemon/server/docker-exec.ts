// docker exec over the Engine API (engine-api.md §3.16): `POST /containers/{id}/exec` records
// the process to run and answers its ID; `POST /exec/{id}/start` is an upgrade carrying a JSON
// body (trap 3) after which the connection carries the process's output (stdcopy frames, raw
// with a terminal) and, with AttachStdin, its input up to the client's half-close; `GET
// /exec/{id}/json` gives the exit code the CLI exits with. A command that cannot be run is
// reported in the stream in runc's words, its ExitCode 126 or 127, as dockerd does.
//
// Exec records live in memory, as dockerd's do; an ended one goes once its container is gone.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { PassThrough, Writable, type Duplex } from 'node:stream';
import { STDERR, STDOUT } from '../../api/frames.js';
import { ConsoleSize } from '../../executor/index.js';
import { discard } from '../../util/discard.js';
import { KilnError } from '../../util/errors.js';
import type { ImageEngine } from '../images/engine.js';
import { execInContainer, ExecStartError, type ExecOptions } from '../containers/exec.js';
import { ContainerStore } from '../containers/store.js';
import { hijack } from './docker-attach.js';
import { findContainer, queryInt } from './docker-query.js';
import { acceptUpgrade, readJson, sendJson, type RequestContext, type Router } from './http.js';
import { errorMessage } from './logger.js';
import { frameWriter } from './run-route.js';

/** docker's exit status for an exec that failed for a reason of the daemon's. */
const execFailureExitCode = 125;

interface ExecRecord {
  id: string;
  containerId: string;
  options: ExecOptions;
  attachStdout: boolean;
  attachStderr: boolean;
  started: boolean;
  running: boolean;
  exitCode: number | null;
  /** With a terminal: its window size, set by resize requests (and the start's ConsoleSize). */
  consoleSize?: ConsoleSize;
}

type Json = Record<string, unknown>;

function invalid(field: string, what: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `invalid exec config: ${field} must be ${what}`);
}

function field<T>(body: Json, key: string, kind: 'string' | 'boolean', fallback: T): T {
  const value = body[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== kind) throw invalid(key, `a ${kind}`);
  return value as T;
}

function strings(body: Json, key: string): string[] {
  const value = body[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw invalid(key, 'a list of strings');
  return value as string[];
}

function execOptions(body: unknown): { options: ExecOptions; stdout: boolean; stderr: boolean } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new KilnError('INVALID_ARGUMENT', 'invalid exec config: the body must be a JSON object');
  const config = body as Json;
  const args = strings(config, 'Cmd');
  if (args.length === 0) throw new KilnError('INVALID_ARGUMENT', 'No exec command specified');
  const workingDir = field(config, 'WorkingDir', 'string', '');
  const user = field(config, 'User', 'string', '');
  const options: ExecOptions = {
    args,
    // A bare name is a variable the client did not have: left unset.
    env: strings(config, 'Env').filter((entry) => entry.includes('=')),
    ...(workingDir === '' ? {} : { workingDir }),
    ...(user === '' ? {} : { user }),
    tty: field(config, 'Tty', 'boolean', false),
    interactive: field(config, 'AttachStdin', 'boolean', false),
  };
  return { options, stdout: field(config, 'AttachStdout', 'boolean', false), stderr: field(config, 'AttachStderr', 'boolean', false) };
}

class Execs {
  private readonly records = new Map<string, ExecRecord>();

  constructor(private readonly engine: ImageEngine) {}

  async create(containerText: string, body: unknown): Promise<ExecRecord> {
    const { options, stdout, stderr } = execOptions(body);
    const container = await findContainer(this.engine, containerText);
    if (container.state.status !== 'running') throw new KilnError('CONFLICT', `Container ${container.id} is not running`);
    await this.forgetEnded();
    const record: ExecRecord = {
      id: randomBytes(32).toString('hex'), containerId: container.id, options, attachStdout: stdout, attachStderr: stderr,
      started: false, running: false, exitCode: null, ...(options.tty === true ? { consoleSize: new ConsoleSize() } : {}),
    };
    this.records.set(record.id, record);
    return record;
  }

  /** Ended execs of containers that are gone. */
  private async forgetEnded(): Promise<void> {
    const store = new ContainerStore(this.engine.root);
    for (const record of [...this.records.values()]) {
      if (record.started && !record.running && (await store.get(record.containerId)) === undefined) this.records.delete(record.id);
    }
  }

  find(id: string): ExecRecord {
    const record = this.records.get(id);
    if (record === undefined) throw new KilnError('NOT_FOUND', `No such exec instance: ${id}`);
    return record;
  }

  /** A conflict, before the connection is taken over, when the exec's container no longer runs. */
  async checkRunning(id: string): Promise<void> {
    const container = await findContainer(this.engine, this.find(id).containerId);
    if (container.state.status !== 'running') throw new KilnError('CONFLICT', `Container ${container.id} is not running`);
  }

  /** Marks the exec started; a second start is a conflict, as in dockerd. */
  claim(id: string): ExecRecord {
    const record = this.find(id);
    if (record.started) throw new KilnError('CONFLICT', `Error: Exec command ${id} ${record.running ? 'is already running' : 'has already run'}`);
    record.started = true;
    record.running = true;
    return record;
  }

  async run(record: ExecRecord, io: { stdout: Writable; stderr: Writable; stdin?: PassThrough }, detach: boolean): Promise<void> {
    try {
      const exitCode = await execInContainer(this.engine, record.containerId, { ...record.options, detach }, {
        ...io, ...(record.consoleSize === undefined ? {} : { consoleSize: record.consoleSize }),
      });
      // A detached process is not watched: its end, and so its code, stay unknown.
      if (!detach) record.exitCode = exitCode;
    } catch (err) {
      record.exitCode = err instanceof ExecStartError ? err.exitStatus : execFailureExitCode;
      if (detach) throw err;
      // dockerd writes the failure into the stream, where the CLI shows it.
      io.stdout.write(Buffer.from(`${errorMessage(err)}\r\n`));
    } finally {
      record.running = false;
    }
  }
}

async function serveStartUpgrade(execs: Execs, ctx: RequestContext, socket: Duplex, head: Buffer): Promise<void> {
  const { body, rest } = await acceptUpgrade(ctx, socket, head);
  await execs.checkRunning(ctx.params[0] ?? '');
  const record = execs.claim(ctx.params[0] ?? '');
  const tty = record.options.tty === true || (typeof body === 'object' && body !== null && (body as Json)['Tty'] === true);
  const size = typeof body === 'object' && body !== null ? (body as Json)['ConsoleSize'] : undefined;
  // API 1.42 clients send the terminal's size with the start.
  if (Array.isArray(size) && size.length === 2 && size.every((side) => Number.isInteger(side) && side > 0)) {
    void record.consoleSize?.resize({ height: size[0] as number, width: size[1] as number });
  }
  hijack(ctx, socket);
  let stdin: PassThrough | undefined;
  if (record.options.interactive === true) {
    stdin = new PassThrough();
    if (rest.length > 0) stdin.write(rest);
    socket.pipe(stdin);
  } else socket.resume();
  // Output the client did not attach to is dropped.
  const output = (stream: typeof STDOUT | typeof STDERR, attached: boolean): Writable => (attached ? frameWriter(socket, stream, tty) : discard());
  const io = { stdout: output(STDOUT, record.attachStdout), stderr: output(STDERR, record.attachStderr), ...(stdin === undefined ? {} : { stdin }) };
  await execs.run(record, io, false);
  ctx.log.info('exec ended', { reqId: ctx.reqId, exec: record.id, exitCode: record.exitCode ?? -1 });
  socket.end();
}

/** `docker exec -d`: a start without the upgrade, answered once the process runs. */
async function serveStartDetached(execs: Execs, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const body = await readJson(ctx.req);
  if (typeof body !== 'object' || body === null || (body as Json)['Detach'] !== true) {
    throw new KilnError('INVALID_ARGUMENT', 'an attached exec start takes over the connection: send it with Connection: Upgrade and Upgrade: tcp, or Detach: true');
  }
  await execs.checkRunning(ctx.params[0] ?? '');
  const record = execs.claim(ctx.params[0] ?? '');
  await execs.run(record, { stdout: discard(), stderr: discard() }, true);
  res.writeHead(200).end();
}

function inspectExec(record: ExecRecord): Json {
  const [entrypoint, ...args] = record.options.args;
  return {
    ID: record.id, Running: record.running, ExitCode: record.exitCode,
    ProcessConfig: { tty: record.options.tty === true, entrypoint, arguments: args, privileged: false, ...(record.options.user === undefined ? {} : { user: record.options.user }) },
    OpenStdin: record.options.interactive === true, OpenStderr: record.attachStderr, OpenStdout: record.attachStdout,
    CanRemove: false, ContainerID: record.containerId, DetachKeys: '', Pid: 0,
  };
}

export function execRoutes(router: Router, engine: ImageEngine): void {
  const execs = new Execs(engine);
  router
    .on('POST', /^\/containers\/([^/]+)\/exec$/, async (ctx, res) => {
      const body = await readJson(ctx.req);
      sendJson(res, 201, { Id: (await execs.create(ctx.params[0] ?? '', body)).id });
    })
    .on('POST', /^\/exec\/([^/]+)\/start$/, (ctx, res) => serveStartDetached(execs, ctx, res))
    .on('GET', /^\/exec\/([^/]+)\/json$/, async (ctx, res) => sendJson(res, 200, inspectExec(execs.find(ctx.params[0] ?? ''))))
    .on('POST', /^\/exec\/([^/]+)\/resize$/, async (ctx, res) => {
      const record = execs.find(ctx.params[0] ?? '');
      const [height, width] = [queryInt(ctx.query, 'h'), queryInt(ctx.query, 'w')];
      if (height !== undefined && width !== undefined && height >= 0 && width >= 0) await record.consoleSize?.resize({ height, width });
      res.writeHead(200).end();
    })
    .onUpgrade('POST', /^\/exec\/([^/]+)\/start$/, (ctx, socket, head) => serveStartUpgrade(execs, ctx, socket, head));
}
