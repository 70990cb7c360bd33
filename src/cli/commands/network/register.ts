// `kiln network create|ls|inspect|rm`, docker's network commands for bridge networks. The
// command module (and the networking code) loads only when one of them runs.
import type { Command } from 'commander';
import { collectRepeatable } from '../../flags.js';
import type { CreateFlags, LsFlags } from './commands.js';

export function registerNetworkCommands(program: Command): void {
  const network = program.command('network').description('manage networks');
  network
    .command('create')
    .description('create a bridge network')
    .argument('<name>', 'the network name')
    .option('-d, --driver <driver>', 'the network driver (only bridge)', 'bridge')
    .option('--subnet <cidr>', 'the IPv4 subnet, e.g. 10.10.0.0/24 (default: a free /16 or /20)')
    .option('--internal', 'no outside access: neither masquerading nor a default route')
    .option('--label <key=value>', 'set metadata on the network (repeatable)', collectRepeatable, [])
    .action(async (name: string, flags: CreateFlags, cmd: Command) => (await import('./commands.js')).runCreate(cmd, name, flags));
  network
    .command('ls')
    .alias('list')
    .description('list networks')
    .option('-q, --quiet', 'only display network IDs')
    .option('--no-trunc', 'do not truncate the output')
    .action(async (flags: LsFlags, cmd: Command) => (await import('./commands.js')).runLs(cmd, flags));
  network
    .command('inspect')
    .description('display detailed information on networks as JSON')
    .argument('<network...>', 'names or IDs')
    .action(async (names: string[], _flags: unknown, cmd: Command) => (await import('./commands.js')).runInspect(cmd, names));
  network
    .command('rm')
    .alias('remove')
    .description('remove networks')
    .argument('<network...>', 'names or IDs')
    .action(async (names: string[], _flags: unknown, cmd: Command) => (await import('./commands.js')).runRm(cmd, names));
}
