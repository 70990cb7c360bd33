// Progress as data (DESIGN.md "ProgressSink"): BuildKit-shaped vertex events that the CLI
// renders as it likes (tty, plain, rawjson). A vertex shared by several concurrent solves
// reports to each of them.
import type { Digest } from '../content/index.js';

export interface VertexEvent {
  type: 'vertex';
  digest: Digest;
  name: string;
  /** Milliseconds since the epoch. */
  started?: number;
  completed?: number;
  /** Its result came from the cache: nothing ran. */
  cached?: boolean;
  error?: string;
  /** Why a step that runs was not cached, in user words (`file app/main.go changed`). */
  reason?: string;
  /** The step whose change made this one miss (an input that ran again), when there is one. */
  causedBy?: Digest;
  /** Output the vertex's op printed since the last event (a RUN's stdout and stderr), in order. */
  logs?: LogChunk[];
}

/** A piece of a step's output, as BuildKit's VertexLog. */
export interface LogChunk {
  /** 1 for stdout, 2 for stderr. */
  stream: 1 | 2;
  data: string;
  /** Milliseconds since the epoch, when the first of `data` arrived. */
  timestamp: number;
}

export type ProgressEvent = VertexEvent;

export type ProgressSink = (event: ProgressEvent) => void;

/** The sinks of every solve that waits on one vertex; a failing sink does not fail the build. */
export class ProgressFanout {
  private readonly sinks = new Set<ProgressSink>();

  add(sink: ProgressSink | undefined): void {
    if (sink !== undefined) this.sinks.add(sink);
  }

  delete(sink: ProgressSink | undefined): void {
    if (sink !== undefined) this.sinks.delete(sink);
  }

  emit(event: ProgressEvent): void {
    for (const sink of this.sinks) {
      try {
        sink(event);
      } catch {
        // A renderer's bug is not the build's failure.
      }
    }
  }
}

/**
 * Output shown per step at most (in characters), as BuildKit's default step log limit: a step
 * that prints without end must not flood every display (the op keeps its full log elsewhere).
 */
export const stepLogLimit = 2 * 1024 * 1024;

/** What an op reports through while it runs for one vertex. */
export interface VertexProgress {
  /** The vertex the op runs for (its log is kept under this name). */
  readonly digest: Digest;
  log(stream: 1 | 2, data: string): void;
}

/** A vertex's progress handle: its logs go to every solve that waits on it, clipped at `limit`. */
export function vertexProgress(fanout: ProgressFanout, digest: Digest, name: string, limit = stepLogLimit): VertexProgress {
  let shown = 0;
  return {
    digest,
    log(stream, data) {
      if (shown >= limit || data === '') return;
      const room = limit - shown;
      shown += data.length;
      const clipped = data.length > room;
      const text = clipped ? `${data.slice(0, room)}\n[output clipped, log limit ${limit / (1024 * 1024)}MiB reached]\n` : data;
      fanout.emit({ type: 'vertex', digest, name, logs: [{ stream, data: text, timestamp: Date.now() }] });
    },
  };
}
