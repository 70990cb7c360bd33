// `kiln logs`: the container's json log, stdout lines to stdout and stderr lines to stderr,
// as docker's client splits them. --tail keeps the last N lines, -t prefixes each with its
// RFC 3339 time, -f keeps reading until the container's run has ended.
import type { Command } from 'commander';
import { setTimeout as delay } from 'node:timers/promises';
import { logPathOf, readLogEntries, type LogEntry } from '../../../daemon/containers/log-file.js';
import { reconcile } from '../../../daemon/containers/reconcile.js';
import type { ContainerRecord } from '../../../daemon/containers/record.js';
import { ContainerStore } from '../../../daemon/containers/store.js';
import { flagError } from '../../report.js';
import { withEngine } from '../image/context.js';

export interface LogsFlags {
  follow?: boolean;
  tail: string;
  timestamps?: boolean;
}

const followPollMs = 100;

function tailCount(text: string): number {
  if (text === 'all') return Infinity;
  const count = Number(text);
  if (!/^-?\d+$/.test(text)) throw flagError('--tail', `invalid argument "${text}": a number of lines or "all"`);
  // docker reads a negative count as all.
  return count < 0 ? Infinity : count;
}

function print(entries: LogEntry[], timestamps: boolean): Promise<void> {
  for (const entry of entries) {
    const line = timestamps ? `${entry.time} ${entry.log}` : entry.log;
    (entry.stream === 'stderr' ? process.stderr : process.stdout).write(line);
  }
  return Promise.resolve();
}

function running(record: ContainerRecord | undefined): boolean {
  if (record === undefined) return false;
  return record.state.status === 'running' || (record.state.status === 'created' && record.state.error === undefined);
}

export async function runLogs(command: Command, name: string, flags: LogsFlags): Promise<void> {
  const tail = tailCount(flags.tail);
  const timestamps = flags.timestamps === true;
  await withEngine(command, async (engine) => {
    const store = new ContainerStore(engine.root);
    const record = await reconcile(store, engine.root, await store.find(name));
    const path = logPathOf(store.containerDir(record.id), record.id);
    let { entries, next } = await readLogEntries(path);
    await print(tail === Infinity ? entries : entries.slice(entries.length - Math.min(tail, entries.length)), timestamps);
    if (flags.follow !== true) return;
    for (let live = running(record); live;) {
      await delay(followPollMs);
      const latest = await store.get(record.id);
      live = running(latest === undefined ? undefined : await reconcile(store, engine.root, latest));
      // Read after the state: whatever the run wrote before it ended is in the file by now.
      ({ entries, next } = await readLogEntries(path, next).catch(() => ({ entries: [], next })));
      await print(entries, timestamps);
    }
  });
}
