// A process the daemon runs with this client attached (a foreground run, an exec): one upgraded
// connection carries the request up, then the process's stdout and stderr frames down (to
// ours; with a terminal the pty's bytes, in stdout frames), the client's stdin up with -i (its
// end is a half-close), and control frames with the id of what was created and the exit.
// SIGINT / SIGTERM go to the daemon as the operation's kill request, and the client still reads
// on to the exit frame to exit with the process's code. With a terminal, the size of ours goes
// to the daemon whenever it changes (SIGWINCH), as docker's resize requests do.
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { WriteStream } from 'node:tty';
import { resizeQuery } from '../../api/exec.js';
import { CONTROL, FrameDecoder, parseControl, STDERR, STDOUT, type RunFailure, type WindowSize } from '../../api/frames.js';
import type { DaemonAddress } from '../../api/host.js';
import { KilnError, type ErrorCode } from '../../util/errors.js';
import { ensureDaemon } from './connect.js';
import { daemonRequest, readBody, readHead, responseError, writeRequest } from './wire.js';

/** A failed run or exec as the daemon reported it, with the exit status the CLI gives it. */
class RemoteRunError extends KilnError {
  constructor(failure: RunFailure, readonly exitStatus: number) {
    super(failure.code as ErrorCode, failure.message, failure.hint === undefined ? {} : { hint: failure.hint });
  }
}

/** The error a failed run rejects with: the daemon's KilnError, or a bug of kiln's, with its exit status. */
export function failureOf(failure: RunFailure): Error & { exitStatus: number } {
  // Not a KilnError on the daemon's side: a bug in kiln, and the client says so as for its own.
  if (failure.internal === true) return Object.assign(new Error(failure.message), { exitStatus: failure.exitStatus });
  return new RemoteRunError(failure, failure.exitStatus);
}

export interface AttachStdio {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** The process's stdin (-i). */
  stdin?: Readable;
  /** With a terminal: ours, whose size the process's terminal follows. */
  window?: WriteStream;
  /** Called once the daemon has created what runs (docker makes its terminal raw then). */
  created?: () => void;
}

export interface AttachRequest {
  /** The upgrade's path and JSON body. */
  path: string;
  body: unknown;
  /** The request SIGINT / SIGTERM send for what the `created` message named. */
  killPath(id: string): string;
  /** Where the terminal's size goes (docker's `h` and `w` are added). */
  resizePath(id: string): string;
  /** What runs, for the message when the daemon goes away first: "the container". */
  subject: string;
}

/** The size of a terminal of ours, to start the process's with. */
export function windowSize(window: WriteStream): WindowSize {
  return { height: window.rows, width: window.columns };
}

/** Writes a frame's payload, pausing the socket while `out` is full. */
function deliver(socket: Socket, out: NodeJS.WritableStream, payload: Buffer): void {
  if (!out.write(payload)) {
    socket.pause();
    out.once('drain', () => socket.resume());
  }
}

/** Sends the request on `socket`; what the daemon sent after granting the upgrade is the result. */
async function open(socket: Socket, socketPath: string, request: AttachRequest): Promise<Buffer> {
  writeRequest(socket, 'POST', request.path, { Connection: 'Upgrade', Upgrade: 'tcp', 'Content-Type': 'application/json' }, JSON.stringify(request.body));
  const response = await readHead(socket, socketPath);
  if (response.status === 101) return response.rest;
  throw responseError(response.status, await readBody(socket, response));
}

/** The kill and resize requests, sent once the id is known, the resizes one after the other. */
class Controls {
  private id: string | undefined;
  private killRequested = false;
  private resizePending = false;
  private resizing: Promise<unknown> = Promise.resolve();

  constructor(private readonly socketPath: string, private readonly request: AttachRequest, private readonly window: WriteStream | undefined) {}

  created(id: string): void {
    this.id = id;
    if (this.killRequested) this.kill();
    if (this.resizePending) this.resize();
  }

  readonly kill = (): void => {
    this.killRequested = true;
    if (this.id !== undefined) void daemonRequest(this.socketPath, 'POST', this.request.killPath(this.id)).catch(() => undefined);
  };

  readonly resize = (): void => {
    const { id, window } = this;
    this.resizePending = id === undefined;
    if (id === undefined || window === undefined) return;
    const path = `${this.request.resizePath(id)}?${resizeQuery(windowSize(window))}`;
    // The process may have just ended: a refused resize changes nothing.
    this.resizing = this.resizing.then(() => daemonRequest(this.socketPath, 'POST', path)).catch(() => undefined);
  };
}

/** The process's exit code, once the daemon has run it to its end. */
export async function attachThroughDaemon(address: DaemonAddress, request: AttachRequest, stdio: AttachStdio): Promise<number> {
  const socket = await ensureDaemon(address);
  let head: Buffer;
  try {
    head = await open(socket, address.socketPath, request);
  } catch (err) {
    socket.destroy();
    throw err;
  }
  const controls = new Controls(address.socketPath, request, stdio.window);
  process.on('SIGINT', controls.kill);
  process.on('SIGTERM', controls.kill);
  stdio.window?.on('resize', controls.resize);
  if (stdio.stdin !== undefined) stdio.stdin.pipe(socket);
  try {
    return await new Promise<number>((done, fail) => {
      const decoder = new FrameDecoder();
      const onChunk = (chunk: Buffer): void => {
        for (const { stream, payload } of decoder.push(chunk)) {
          if (stream === STDOUT) deliver(socket, stdio.stdout, payload);
          else if (stream === STDERR) deliver(socket, stdio.stderr, payload);
          else if (stream === CONTROL) {
            const message = parseControl(payload);
            if ('created' in message) {
              controls.created(message.created.id);
              stdio.created?.();
            }
            else if ('exit' in message) done(message.exit.code);
            else fail(failureOf(message.error));
          }
        }
      };
      if (head.length > 0) onChunk(head);
      socket.on('data', onChunk);
      socket.resume();
      socket.once('error', fail);
      socket.once('close', () => fail(new KilnError('UNAVAILABLE', `the kiln daemon closed the connection before ${request.subject} exited`, {
        hint: 'see the daemon\'s log (kilnd.log in the store root) and `kiln ps -a`',
      })));
    });
  } finally {
    process.off('SIGINT', controls.kill);
    process.off('SIGTERM', controls.kill);
    stdio.window?.off('resize', controls.resize);
    if (stdio.stdin !== undefined) stdio.stdin.unpipe(socket);
    socket.destroy();
  }
}
