// `kiln volume create | ls | inspect | rm | prune`, as docker has them. Each command's module
// loads only when that command runs, as for the image and container commands.
import type { Command } from 'commander';
import { collectRepeatable } from '../../flags.js';

export function registerVolumeCommands(program: Command): void {
  const volume = program.command('volume').description('manage volumes');
  volume
    .command('create')
    .description('create a volume')
    .argument('[name]', 'the volume name (default: a random one)')
    .option('-l, --label <k=v>', 'set metadata on the volume (repeatable)', collectRepeatable, [])
    .action(async (name: string | undefined, flags: { label: string[] }, cmd: Command) => (await import('./volume.js')).runVolumeCreate(cmd, name, flags));
  volume
    .command('ls')
    .alias('list')
    .description('list volumes')
    .option('-q, --quiet', 'only display volume names')
    .action(async (flags: { quiet?: boolean }, cmd: Command) => (await import('./volume.js')).runVolumeList(cmd, flags));
  volume
    .command('inspect')
    .description('display detailed information on volumes')
    .argument('<name...>', 'volume names')
    .action(async (names: string[], _flags: unknown, cmd: Command) => (await import('./volume.js')).runVolumeInspect(cmd, names));
  volume
    .command('rm')
    .alias('remove')
    .description('remove volumes')
    .argument('<name...>', 'volume names')
    .option('-f, --force', 'do not fail on volumes that do not exist')
    .action(async (names: string[], flags: { force?: boolean }, cmd: Command) => (await import('./volume.js')).runVolumeRm(cmd, names, flags));
  volume
    .command('prune')
    .description('remove unused anonymous volumes (all unused volumes with -a)')
    .option('-a, --all', 'remove unused named volumes too')
    .option('-f, --force', 'do not prompt for confirmation')
    .action(async (flags: { all?: boolean; force?: boolean }, cmd: Command) => (await import('./volume.js')).runVolumePrune(cmd, flags));
}
