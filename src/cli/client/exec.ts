// `kiln exec` through the daemon (src/api/exec.ts, attach.ts): the exec's flags go up, the
// command's output comes down (the pty's bytes with -t), its stdin goes up with -i. SIGINT /
// SIGTERM end the command (the daemon's runc passes SIGTERM on); with -d the exit comes as soon
// as the command runs.
import { execActionPath, execPath, type ExecRequest } from '../../api/exec.js';
import type { DaemonAddress } from '../../api/host.js';
import { attachThroughDaemon, windowSize, type AttachStdio } from './attach.js';

/** The command's exit code (0 detached, once it runs). */
export function execThroughDaemon(address: DaemonAddress, container: string, request: ExecRequest, stdio: AttachStdio): Promise<number> {
  return attachThroughDaemon(address, {
    path: execPath(container, stdio.window === undefined ? undefined : windowSize(stdio.window)), body: request, subject: 'the command',
    killPath: (id) => execActionPath(id, 'kill'),
    resizePath: (id) => execActionPath(id, 'resize'),
  }, stdio);
}
