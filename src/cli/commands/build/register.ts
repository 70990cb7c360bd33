// `kiln build`, as `docker buildx build` takes it. The build runs in the daemon; this module is
// its client and is loaded with the program, as `run`'s is (a second round of module loading
// would cost every build more than the client weighs).
import { Command, Option } from 'commander';
import { collectRepeatable } from '../../flags.js';
import { runBuild, type BuildFlags } from './build.js';

export function registerBuildCommand(program: Command): void {
  program
    .command('build')
    .description('build an image from a Dockerfile')
    .argument('<context>', 'the build context: a directory')
    .option('-t, --tag <name>', 'name and optionally tag the image: NAME[:TAG] (repeatable)', collectRepeatable, [])
    .option('-f, --file <path>', 'the Dockerfile (default: CONTEXT/Dockerfile)')
    .option('--build-arg <key=value>', 'set a build-time variable (repeatable)', collectRepeatable, [])
    .option('--target <stage>', 'the stage to build (default: the last one)')
    .option('--no-cache', 'do not use the cache when building the image')
    .addOption(new Option('--progress <type>', 'how to show progress').choices(['auto', 'plain', 'tty', 'rawjson', 'quiet']).default('auto'))
    .option('-q, --quiet', 'print only the image ID on success')
    .option('--jobs <n>', 'steps run at once at most (default: 16, or 4 per core when more)')
    .action((context: string, flags: BuildFlags, cmd: Command) => runBuild(cmd, context, flags));
}
