// `kiln ps`: docker's CONTAINER ID, IMAGE, COMMAND, CREATED, STATUS, PORTS, NAMES table, or
// IDs only (-q). Without -a only running containers are shown.
import type { Command } from 'commander';
import { listContainers } from '../../../daemon/containers/list.js';
import { displayPorts, runningEndpoint } from '../../../daemon/containers/network-settings.js';
import { commandLine, shortContainerId, type ContainerRecord } from '../../../daemon/containers/record.js';
import { formatTable } from '../../table.js';
import { humanDuration } from '../../units.js';
import { withEngine } from '../image/context.js';

export interface PsFlags {
  all: boolean;
  quiet: boolean;
  noTrunc: boolean;
}

/** docker's formatter cuts COMMAND to 20 characters, the last one an ellipsis. */
const commandWidth = 20;

function ellipsis(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, width - 1).join('')}…`;
}

function since(iso: string | undefined, now: number): string {
  return humanDuration(now - Date.parse(iso ?? ''));
}

/** docker's State.String(): "Up 3 seconds", "Exited (3) 2 minutes ago", "Created". */
export function statusText(record: ContainerRecord, now: number): string {
  const { state } = record;
  if (state.status === 'running') return `Up ${since(state.startedAt, now)}`;
  if (state.status === 'exited') return `Exited (${state.exitCode ?? 0}) ${since(state.finishedAt, now)} ago`;
  return 'Created';
}

function row(record: ContainerRecord, ports: string, flags: PsFlags, now: number): string[] {
  const command = commandLine(record);
  return [
    flags.noTrunc ? record.id : shortContainerId(record.id),
    record.image,
    // strconv.Quote in docker; JSON's string escaping agrees on everything a command line holds.
    JSON.stringify(flags.noTrunc ? command : ellipsis(command, commandWidth)),
    `${since(record.created, now)} ago`,
    statusText(record, now),
    ports,
    record.name,
  ];
}

export async function runPs(command: Command, flags: PsFlags): Promise<void> {
  const { shown, ports } = await withEngine(command, async (engine) => {
    const all = await listContainers(engine);
    const shown = flags.all ? all : all.filter((r) => r.state.status === 'running');
    // Only a running container has host ports; each one's are read from its endpoint.
    const ports = flags.quiet ? [] : await Promise.all(shown.map(async (r) => displayPorts((await runningEndpoint(engine.root, r))?.ports ?? [])));
    return { shown, ports };
  });
  if (flags.quiet) {
    process.stdout.write(shown.map((r) => `${flags.noTrunc ? r.id : shortContainerId(r.id)}\n`).join(''));
    return;
  }
  const now = Date.now();
  const header = ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'];
  process.stdout.write(formatTable(header, shown.map((r, i) => row(r, ports[i] ?? '', flags, now))));
}
