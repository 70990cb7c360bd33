// kilnd's native exec API, shared by the daemon and the CLI: `POST /kiln/v1/containers/{container}
// /exec` runs one more process in a running container. It is an upgrade whose connection then
// carries frames (frames.ts) as a foreground run's does, the `created` control message naming
// the exec; with `detach` the exit (0) comes as soon as the process runs. The exec's id is what
// its resize and kill requests name.
import type { WindowSize } from './frames.js';

/** The body: docker exec's flags, the environment already read from --env-file and expanded. */
export interface ExecRequest {
  /** The command and its arguments; at least one word. */
  args: string[];
  /** `K=V` entries over the container's environment. */
  env?: string[];
  workingDir?: string;
  user?: string;
  /** A terminal for the process: its output comes as one raw stream. */
  tty?: boolean;
  /** The client's input after the body is the process's stdin; its half-close ends it. */
  interactive?: boolean;
  /** Answer (exit code 0) once the process runs, nothing attached. */
  detach?: boolean;
}

/** `/kiln/v1/containers/{container}/exec`, with a terminal's size to start with (`h`, `w`). */
export function execPath(container: string, size?: WindowSize): string {
  return `/kiln/v1/containers/${encodeURIComponent(container)}/exec${size === undefined ? '' : `?${resizeQuery(size)}`}`;
}

/** `/kiln/v1/exec/{id}/resize` and `/kill`: a running exec's window size, its end. */
export function execActionPath(id: string, action: 'resize' | 'kill'): string {
  return `/kiln/v1/exec/${encodeURIComponent(id)}/${action}`;
}

/** The query of a resize, and of a run or exec started with a terminal's size: docker's `h` and `w`. */
export function resizeQuery(size: WindowSize): string {
  return `h=${size.height}&w=${size.width}`;
}
