// `kiln run` in the foreground, through the daemon (attach.ts): the run's options go up, the
// container's output comes down, with -t as the pty's bytes. SIGINT / SIGTERM kill the container
// (SIGKILL, exit code 137), as the in-process run used to.
import { resizeQuery } from '../../api/exec.js';
import type { DaemonAddress } from '../../api/host.js';
import type { RunOptions } from '../../daemon/containers/run.js';
import { attachThroughDaemon, windowSize, type AttachStdio } from './attach.js';

/** The container's exit code, once the daemon has run it to its end and torn it down. */
export function runThroughDaemon(address: DaemonAddress, options: RunOptions, stdio: AttachStdio): Promise<number> {
  const container = (id: string): string => `/kiln/v1/containers/${encodeURIComponent(id)}`;
  const query = stdio.window === undefined ? '' : `?${resizeQuery(windowSize(stdio.window))}`;
  return attachThroughDaemon(address, {
    path: `/kiln/v1/containers/run${query}`, body: options, subject: 'the container',
    killPath: (id) => `${container(id)}/kill?signal=SIGKILL`,
    resizePath: (id) => `${container(id)}/resize`,
  }, stdio);
}
