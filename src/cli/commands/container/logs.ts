// `kiln logs`: the container's json log from the daemon, stdout lines to stdout and stderr lines
// to stderr, as docker's client splits them. --tail keeps the last N lines, -t prefixes each
// with its RFC 3339 time, -f prints lines as they are logged until the container's run has ended.
import type { Command } from 'commander';
import { containerLogs } from '../../client/containers.js';
import { flagError } from '../../report.js';
import { daemonAddress } from '../../daemon-address.js';

export interface LogsFlags {
  follow?: boolean;
  tail: string;
  timestamps?: boolean;
}

function tailCount(text: string): number {
  if (text === 'all') return Infinity;
  const count = Number(text);
  if (!/^-?\d+$/.test(text)) throw flagError('--tail', `invalid argument "${text}": a number of lines or "all"`);
  // docker reads a negative count as all.
  return count < 0 ? Infinity : count;
}

export async function runLogs(command: Command, name: string, flags: LogsFlags): Promise<void> {
  const tail = tailCount(flags.tail);
  const timestamps = flags.timestamps === true;
  await containerLogs(daemonAddress(command), name, { tail, follow: flags.follow === true }, (entry) => {
    (entry.stream === 'stderr' ? process.stderr : process.stdout).write(timestamps ? `${entry.time} ${entry.log}` : entry.log);
  });
}
