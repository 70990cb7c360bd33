// The container commands, at the top level as docker has them (`kiln run`, `kiln ps`,
// `kiln rm`). Each command's module, and the engine, snapshotter and runc code behind it, loads
// only when that command runs, as for the image commands; `run` is the exception: its module is
// the daemon's client (the engine is still loaded on demand), and loading it up front spares a
// container start a second round of module loading.
import type { Command } from 'commander';
import { collectRepeatable } from '../../flags.js';
import { withProcessOptions } from './process-flags.js';
import { registerLifecycleCommands } from './register-lifecycle.js';
import { runRun, type RunFlags } from './run.js';

export function registerContainerCommands(program: Command): void {
  withProcessOptions(program
    .command('run')
    .description('run a command in a new container')
    .argument('<image>', 'NAME[:TAG|@DIGEST] or image ID')
    .argument('[command...]', 'the command and its arguments (default: the image\'s ENTRYPOINT and CMD)')
    .option('--rm', 'remove the container when it exits')
    .option('-d, --detach', 'run the container in the background and print its ID'))
    .option('--entrypoint <command>', 'override the image\'s ENTRYPOINT')
    .option('--name <name>', 'assign a name to the container')
    .option('--network <network>', 'connect the container to a network: bridge, none, host or a network\'s name or ID', 'bridge')
    .option('-p, --publish <spec>', 'publish a container port: [IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp] (repeatable)', collectRepeatable, [])
    .option('-v, --volume <spec>', 'bind mount a volume: [NAME|/HOST:]/CONTAINER[:ro|rw] (repeatable)', collectRepeatable, [])
    .option('-m, --memory <bytes>', 'memory limit (e.g. 512m, 1g)')
    .option('--cpus <number>', 'number of CPUs (e.g. 1.5)')
    .option('--stop-signal <signal>', 'signal to stop the container (default: the image\'s STOPSIGNAL, else SIGTERM)')
    .option('--stop-timeout <seconds>', 'seconds to wait for the stop signal before killing the container')
    .option('--mount <spec>', 'attach a mount: type=bind|volume,source=..,target=..[,readonly] (repeatable)', collectRepeatable, [])
    .option('--restart <policy>', 'restart policy of a detached container: no, always, unless-stopped, on-failure[:max-retries]')
    .passThroughOptions()
    .action((image: string, args: string[], flags: RunFlags, cmd: Command) => runRun(cmd, image, args, flags));
  program
    .command('ps')
    .description('list containers')
    .option('-a, --all', 'show all containers (default shows just running)')
    .option('-q, --quiet', 'only display container IDs')
    .option('--no-trunc', 'do not truncate output')
    .action(async (flags: { all?: boolean; quiet?: boolean; trunc?: boolean }, cmd: Command) =>
      (await import('./ps.js')).runPs(cmd, { all: flags.all === true, quiet: flags.quiet === true, noTrunc: flags.trunc === false }));
  program
    .command('rm')
    .description('remove containers')
    .argument('<container...>', 'names, IDs or unique ID prefixes')
    .option('-f, --force', 'kill and remove running containers')
    .option('-v, --volumes', 'remove the anonymous volumes of the containers')
    .action(async (names: string[], flags: { force?: boolean; volumes?: boolean }, cmd: Command) => (await import('./rm.js')).runRm(cmd, names, flags));
  registerLifecycleCommands(program);
}
