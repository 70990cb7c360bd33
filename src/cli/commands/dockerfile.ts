// `kiln dockerfile ...`: the frontend's own commands, useful to inspect what a build will do
// without running it. Each command's module loads when it runs, keeping start-up small.
import { Command, Option } from 'commander';
import { collectRepeatable } from '../flags.js';

export function registerDockerfileCommands(program: Command): void {
  const group = program.command('dockerfile').description('inspect and check Dockerfiles');

  group
    .command('parse')
    .description('print the syntax tree of a Dockerfile')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'buildkit-dump']).default('json'))
    .argument('[file]', 'the Dockerfile, or - for standard input', 'Dockerfile')
    .action(async (file: string, opts: { format: 'json' | 'buildkit-dump' }) => (await import('./dockerfile-parse.js')).runParse(file, opts));

  group
    .command('check')
    .description('run the build checks and print their warnings')
    .argument('[file]', 'the Dockerfile, or - for standard input', 'Dockerfile')
    .option('--target <stage>', 'check only the stages a build of this target uses')
    .option('--build-arg <key=value>', 'set a build-time variable (repeatable)', collectRepeatable, [])
    .option('--context <dir>', 'the build context, to check COPY sources against its .dockerignore')
    .action(async (file: string, opts: { target?: string; buildArg: string[]; context?: string }) => {
      process.exitCode = await (await import('./dockerfile-check.js')).runCheck(file, opts);
    });

  group
    .command('stages')
    .description('list the stages a build of the target would run, in dependency order')
    .argument('[file]', 'the Dockerfile, or - for standard input', 'Dockerfile')
    .option('--target <stage>', 'the stage to build (default: the last one)')
    .option('--build-arg <key=value>', 'set a build-time variable (repeatable)', collectRepeatable, [])
    .option('--platform <os/arch>', 'the target platform (default: this machine)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (file: string, opts: StagesFlags) => (await import('./dockerfile-stages.js')).runStages(file, opts));
}

export interface StagesFlags {
  target?: string;
  buildArg: string[];
  platform?: string;
  format: 'table' | 'json';
}
