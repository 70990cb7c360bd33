// The attach stream of a run or an exec, after the HTTP upgrade: docker's multiplexed format (an
// 8-byte header: the stream byte, three zero bytes, the payload length as a big-endian uint32)
// for the process's stdout (1) and stderr (2), plus a stream 3 of kiln's own that carries one
// JSON control message per frame (the container's or exec's id once it is recorded, its exit,
// or a failure). With a terminal, stdout frames carry the pty's bytes as they are (stdout and
// stderr are one stream there); the window size goes up in the request and by resize requests.
// Headers and payloads may be split across or coalesced within socket chunks; the decoder
// reassembles them.
export type { WindowSize } from '../executor/console-size.js';

export const STDOUT = 1;
export const STDERR = 2;
export const CONTROL = 3;

export type StreamId = typeof STDOUT | typeof STDERR | typeof CONTROL;

const headerLength = 8;

/** A failure as it crosses the socket: a KilnError's fields and the exit status docker run gives it. */
export interface RunFailure {
  message: string;
  code: string;
  hint?: string;
  /** 125 for kiln's own failures (1 for an exec's), 126 / 127 when the command could not be run. */
  exitStatus: number;
  /** Set when the failure was not a KilnError (a bug in kiln), so the client says so. */
  internal?: boolean;
}

export type ControlMessage =
  /** The container's id (a run) or the exec's (an exec), for kill and resize requests. */
  | { created: { id: string } }
  | { exit: { code: number } }
  | { error: RunFailure };

export function encodeFrame(stream: StreamId, payload: Buffer): Buffer {
  const header = Buffer.alloc(headerLength);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

export function encodeControl(message: ControlMessage): Buffer {
  return encodeFrame(CONTROL, Buffer.from(JSON.stringify(message)));
}

export interface Frame {
  stream: number;
  payload: Buffer;
}

/** Reassembles frames from arbitrary chunks of the stream. */
export class FrameDecoder {
  private buffered: Buffer = Buffer.alloc(0);

  /** The whole frames completed by `chunk`; a partial one waits for the next chunk. */
  push(chunk: Buffer): Frame[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: Frame[] = [];
    let offset = 0;
    while (this.buffered.length - offset >= headerLength) {
      const length = this.buffered.readUInt32BE(offset + 4);
      const end = offset + headerLength + length;
      if (end > this.buffered.length) break;
      frames.push({ stream: this.buffered[offset] ?? 0, payload: this.buffered.subarray(offset + headerLength, end) });
      offset = end;
    }
    this.buffered = this.buffered.subarray(offset);
    return frames;
  }

  /** Bytes of an unfinished frame: non-zero when the stream ended mid-frame. */
  get pending(): number {
    return this.buffered.length;
  }
}

export function parseControl(payload: Buffer): ControlMessage {
  return JSON.parse(payload.toString('utf8')) as ControlMessage;
}
