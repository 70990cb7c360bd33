// Whether a process still lives, for telling a live writer's files from a dead one's. kill(pid,
// 0) alone is not enough: a process killed after its parent exited is re-parented, and if its
// new parent does not reap it (a minimal init, a container's pid 1), it lingers as a zombie
// that kill(pid, 0) still finds. A zombie counts as gone.
import { readFileSync } from 'node:fs';

export function processAlive(pid: number | undefined): boolean {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    // No procfs to ask: what kill(2) said.
    return true;
  }
  // The state is the field after the parenthesised command name.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}
