// `kiln builder prune` and its short form `kiln prune`, as `docker builder prune` takes them.
// The command's module loads only when it runs.
import type { Command } from 'commander';
import { collectRepeatable } from '../../flags.js';
import type { PruneFlags } from './prune.js';

function addPrune(parent: Command): void {
  parent
    .command('prune')
    .description('remove build cache')
    .option('-a, --all', 'remove all unused build cache, not just dangling ones')
    .option('-f, --force', 'do not prompt for confirmation')
    .option('--filter <filter>', "provide filter values (e.g. 'until=24h')", collectRepeatable, [])
    .option('--keep-storage <size>', 'amount of disk space to keep for cache (e.g. 1GB)')
    .action(async (flags: PruneFlags, cmd: Command) => (await import('./prune.js')).runPrune(cmd, flags));
}

export function registerPruneCommands(program: Command): void {
  const builder = program.command('builder').description('manage builds');
  addPrune(builder);
  addPrune(program);
}
