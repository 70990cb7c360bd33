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
    .option('--target <stage>', 'the stage to build (default: the last one); repeat it to build several stages in one solve, naming each image with -t STAGE=NAME', collectRepeatable, [])
    .option('--no-cache', 'do not use the cache when building the image')
    .addOption(new Option('--progress <type>', 'how to show progress').choices(['auto', 'plain', 'tty', 'rawjson', 'quiet']).default('auto'))
    .option('-q, --quiet', 'print only the image ID on success')
    .option('--secret <spec>', 'a secret for RUN --mount=type=secret: id=ID[,src=PATH|,env=VAR][,type=file|env] (repeatable)', collectRepeatable, [])
    .option('--ssh <spec>', 'an ssh agent for RUN --mount=type=ssh: default|ID[=SOCKET] (repeatable)', collectRepeatable, [])
    .option('--jobs <n>', 'steps run at once at most (default: 16, or 4 per core when more)')
    .option('-o, --output <spec>', 'where the result goes: type=image|registry|oci|docker|tar|local[,dest=PATH][,name=NAME][,push=true], or DIR', collectRepeatable, [])
    .option('--push', 'push the image after the build (shorthand for --output type=registry)')
    .option('--cache-from <spec>', 'a cache to take results from: type=registry,ref=REF | type=local,src=DIR[,tag=TAG], or REF (repeatable)', collectRepeatable, [])
    .option('--cache-to <spec>', 'where to export the build cache: type=registry,ref=REF | type=local,dest=DIR | type=inline, with mode=min|max and ignore-error=true|false (repeatable)', collectRepeatable, [])
    .option('--dry-run', 'print which steps would come from the cache and which would run, and why, without building')
    .option('--iidfile <file>', 'write the image ID to the file')
    .option('--metadata-file <file>', 'write the build result metadata to the file')
    .action((context: string, flags: BuildFlags, cmd: Command) => runBuild(cmd, context, flags));
}
