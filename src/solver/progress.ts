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
