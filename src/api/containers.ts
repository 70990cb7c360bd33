// kilnd's native container API (`/kiln/v1/containers...`), shared by the daemon and the CLI: the
// paths, and the JSON each side sends. Payloads are kiln's data (records' states, log entries,
// published ports), which the CLI renders as docker does; `inspect` is the exception, answered
// in docker's ContainerJSON shape, which is what `kiln container inspect` prints. Containers in
// paths are a name, a full ID or a unique ID prefix, percent-encoded.
//
// A detached run (`POST /kiln/v1/containers`) and logs answer with a chunked stream of one JSON
// message per line that ends with exactly one `result` or `error` message. The foreground run
// (`POST /kiln/v1/containers/run`, an upgrade) and kill are described in the API document.
import type { PortMapping } from '../network/types.js';
import type { RunFailure } from './frames.js';
import type { KilnErrorJSON } from '../util/errors.js';

export const containersPath = '/kiln/v1/containers';

/** `/kiln/v1/containers/{container}` and its sub-resources. */
export function containerPath(container: string, action?: 'logs' | 'stop' | 'kill' | 'wait'): string {
  return `${containersPath}/${encodeURIComponent(container)}${action === undefined ? '' : `/${action}`}`;
}

/** `GET /kiln/v1/containers[?all=true]`: running containers (every one with all), newest first. */
export interface ContainerSummary {
  /** 64 hex digits. */
  id: string;
  /** Without docker's leading slash. */
  name: string;
  /** The image as the run named it. */
  image: string;
  /** The process: entrypoint and command, joined by spaces. */
  command: string;
  /** RFC 3339. */
  created: string;
  state: {
    status: 'created' | 'running' | 'exited';
    exitCode?: number;
    startedAt?: string;
    finishedAt?: string;
  };
  /** The ports published on the host while it runs, host ports resolved. */
  ports: PortMapping[];
}

/** `POST /kiln/v1/containers/{container}/wait`: once the container does not run. */
export interface WaitResponse {
  exitCode: number;
}

/** One line of a container's json log. */
export interface LogEntryView {
  log: string;
  stream: 'stdout' | 'stderr';
  /** RFC 3339 with nanoseconds. */
  time: string;
}

/** `GET /kiln/v1/containers/{container}/logs[?tail=N][&follow=true]`. */
export type LogsMessage =
  | { entry: LogEntryView }
  | { result: Record<string, never> }
  | { error: KilnErrorJSON };

/**
 * `POST /kiln/v1/containers` (kiln run -d), body RunOptions: what the run writes to stderr
 * before its start (a pull's lines), its ID once recorded, then the result once its process
 * runs, or the failure with the exit status docker run gives it.
 */
export type DetachedRunMessage =
  | { stderr: string }
  | { created: { id: string } }
  | { result: { id: string } }
  | { error: RunFailure };
