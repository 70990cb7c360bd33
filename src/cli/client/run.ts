// `kiln run` in the foreground, through the daemon: one upgraded connection carries the run's
// options up, then the container's stdout and stderr frames down (to ours), the client's stdin up
// with -i (its end is a half-close), and control frames with the container's id and its exit.
// SIGINT / SIGTERM kill the container through the API, as the in-process run kills it, and the
// client still reads on to the exit frame to exit with the container's code (137).
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { CONTROL, FrameDecoder, parseControl, STDERR, STDOUT, type RunFailure } from '../../api/frames.js';
import type { DaemonAddress } from '../../api/host.js';
import type { RunOptions } from '../../daemon/containers/run.js';
import { KilnError, type ErrorCode } from '../../util/errors.js';
import { ensureDaemon } from './connect.js';
import { daemonRequest, readBody, readHead, responseError, writeRequest } from './wire.js';

/** A failed run as the daemon reported it, with the exit status docker run gives it. */
export class RemoteRunError extends KilnError {
  constructor(failure: RunFailure, readonly exitStatus: number) {
    super(failure.code as ErrorCode, failure.message, failure.hint === undefined ? {} : { hint: failure.hint });
  }
}

function failureOf(failure: RunFailure): Error & { exitStatus: number } {
  // Not a KilnError on the daemon's side: a bug in kiln, and the client says so as for its own.
  if (failure.internal === true) return Object.assign(new Error(failure.message), { exitStatus: failure.exitStatus });
  return new RemoteRunError(failure, failure.exitStatus);
}

export interface RunStdio {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** The container's stdin (-i). */
  stdin?: Readable;
}

/** Writes a frame's payload, pausing the socket while `out` is full. */
function deliver(socket: Socket, out: NodeJS.WritableStream, payload: Buffer): void {
  if (!out.write(payload)) {
    socket.pause();
    out.once('drain', () => socket.resume());
  }
}

/** Sends the run on `socket`; what the daemon sent after granting the upgrade is `head`. */
async function openRun(socket: Socket, socketPath: string, options: RunOptions): Promise<Buffer> {
  writeRequest(socket, 'POST', '/kiln/v1/containers/run', { Connection: 'Upgrade', Upgrade: 'tcp', 'Content-Type': 'application/json' }, JSON.stringify(options));
  const response = await readHead(socket, socketPath);
  if (response.status === 101) return response.rest;
  throw responseError(response.status, await readBody(socket, response));
}

/** The container's exit code, once the daemon has run it to its end and torn it down. */
export async function runThroughDaemon(address: DaemonAddress, options: RunOptions, stdio: RunStdio): Promise<number> {
  const socket = await ensureDaemon(address);
  let head: Buffer;
  try {
    head = await openRun(socket, address.socketPath, options);
  } catch (err) {
    socket.destroy();
    throw err;
  }
  let id: string | undefined;
  let killRequested = false;
  const kill = (): void => {
    killRequested = true;
    if (id !== undefined) void daemonRequest(address.socketPath, 'POST', `/kiln/v1/containers/${id}/kill?signal=SIGKILL`).catch(() => undefined);
  };
  process.on('SIGINT', kill);
  process.on('SIGTERM', kill);
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
              id = message.created.id;
              if (killRequested) kill();
            } else if ('exit' in message) done(message.exit.code);
            else fail(failureOf(message.error));
          }
        }
      };
      if (head.length > 0) onChunk(head);
      socket.on('data', onChunk);
      socket.resume();
      socket.once('error', fail);
      socket.once('close', () => fail(new KilnError('UNAVAILABLE', 'the kiln daemon closed the connection before the container exited', {
        hint: 'see the daemon\'s log (kilnd.log in the store root) and `kiln ps -a`',
      })));
    });
  } finally {
    process.off('SIGINT', kill);
    process.off('SIGTERM', kill);
    if (stdio.stdin !== undefined) stdio.stdin.unpipe(socket);
    socket.destroy();
  }
}
