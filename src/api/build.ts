// `POST /kiln/v1/build`, shared by the daemon and the client. The request is an upgrade with the
// build's options as its JSON body; the connection then carries one JSON message per line from
// the daemon: progress events, then the result or the error. The daemon reads the context
// directory in place, so paths are absolute. A client that goes away cancels the build.
import type { KilnErrorJSON } from '../util/errors.js';

export const buildPath = '/kiln/v1/build';

export interface BuildRequest {
  /** Absolute. */
  contextDir: string;
  /** Absolute; default `<contextDir>/Dockerfile`. */
  dockerfile?: string;
  tags: string[];
  /** `--build-arg` values, already taken from the client's environment where it gave none. */
  buildArgs: Record<string, string>;
  target?: string;
  noCache?: boolean;
  jobs?: number;
}

/** A progress event, as the solver reports it. */
export interface BuildProgress {
  digest: string;
  name: string;
  started?: number;
  completed?: number;
  cached?: boolean;
  error?: string;
}

export type BuildMessage =
  | { progress: BuildProgress }
  | { result: { id: string; manifest: string; names: string[] } }
  | { error: KilnErrorJSON };

export function encodeBuildMessage(message: BuildMessage): string {
  return `${JSON.stringify(message)}\n`;
}

/** Splits what arrives into whole lines, each one message. */
export class LineDecoder {
  private pending = '';

  push(chunk: Buffer): string[] {
    const lines = (this.pending + chunk.toString('utf8')).split('\n');
    this.pending = lines.pop() ?? '';
    return lines.filter((line) => line !== '');
  }
}
