// `kiln ps`: docker's CONTAINER ID, IMAGE, COMMAND, CREATED, STATUS, PORTS, NAMES table, or
// IDs only (-q), from the daemon's list. Without -a only running containers are shown.
import type { Command } from 'commander';
import type { ContainerSummary } from '../../../api/containers.js';
import { shortContainerId } from '../../../daemon/containers/record.js';
import type { PortMapping } from '../../../network/types.js';
import { listContainers } from '../../client/containers.js';
import { formatTable } from '../../table.js';
import { containerStatusText, humanDuration } from '../../units.js';
import { daemonAddress } from '../../daemon-address.js';

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

/** The PORTS column: "127.0.0.1:8080->80/tcp, 0.0.0.0:9000->90/udp". */
function displayPorts(ports: readonly PortMapping[]): string {
  return ports.map((port) => `${port.hostIP ?? '0.0.0.0'}:${port.hostPort}->${port.containerPort}/${port.protocol}`).join(', ');
}

function row(container: ContainerSummary, flags: PsFlags, now: number): string[] {
  return [
    flags.noTrunc ? container.id : shortContainerId(container.id),
    container.image,
    // strconv.Quote in docker; JSON's string escaping agrees on everything a command line holds.
    JSON.stringify(flags.noTrunc ? container.command : ellipsis(container.command, commandWidth)),
    `${humanDuration(now - Date.parse(container.created))} ago`,
    containerStatusText(container.state, now),
    displayPorts(container.ports),
    container.name,
  ];
}

export async function runPs(command: Command, flags: PsFlags): Promise<void> {
  const shown = await listContainers(daemonAddress(command), flags.all);
  if (flags.quiet) {
    process.stdout.write(shown.map((c) => `${flags.noTrunc ? c.id : shortContainerId(c.id)}\n`).join(''));
    return;
  }
  const now = Date.now();
  const header = ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'];
  process.stdout.write(formatTable(header, shown.map((c) => row(c, flags, now))));
}
