// The commands on a container's life after `run`: exec, logs, stop, kill, wait and `container
// inspect`. Lazily loaded, as the other container commands.
import type { Command } from 'commander';
import type { ExecFlags } from './exec.js';
import { withProcessOptions } from './process-flags.js';
import type { LogsFlags } from './logs.js';

export function registerLifecycleCommands(program: Command): void {
  withProcessOptions(program
    .command('exec')
    .description('run a command in a running container')
    .argument('<container>', 'name, ID or unique ID prefix')
    .argument('<command...>', 'the command and its arguments')
    .option('-d, --detach', 'run the command in the background'))
    .passThroughOptions()
    .action(async (name: string, args: string[], flags: ExecFlags, cmd: Command) => (await import('./exec.js')).runExec(cmd, name, args, flags));
  program
    .command('logs')
    .description('fetch the logs of a container')
    .argument('<container>', 'name, ID or unique ID prefix')
    .option('-f, --follow', 'follow log output until the container exits')
    .option('-n, --tail <lines>', 'number of lines to show from the end of the logs, or "all"', 'all')
    .option('-t, --timestamps', 'show timestamps')
    .action(async (name: string, flags: LogsFlags, cmd: Command) => (await import('./logs.js')).runLogs(cmd, name, flags));
  program
    .command('stop')
    .description('stop running containers (their stop signal, SIGTERM by default, then SIGKILL after a grace period)')
    .argument('<container...>', 'names, IDs or unique ID prefixes')
    .option('-t, --time <seconds>', 'seconds to wait before killing the container (default: its --stop-timeout, else 10)')
    .action(async (names: string[], flags: { time?: string }, cmd: Command) => (await import('./lifecycle.js')).runStop(cmd, names, flags));
  program
    .command('kill')
    .description('send a signal to running containers')
    .argument('<container...>', 'names, IDs or unique ID prefixes')
    .option('-s, --signal <signal>', 'signal to send to the container', 'KILL')
    .action(async (names: string[], flags: { signal?: string }, cmd: Command) => (await import('./lifecycle.js')).runKill(cmd, names, flags));
  program
    .command('wait')
    .description('block until containers stop, then print their exit codes')
    .argument('<container...>', 'names, IDs or unique ID prefixes')
    .action(async (names: string[], _flags: unknown, cmd: Command) => (await import('./lifecycle.js')).runWait(cmd, names));
  const container = program.command('container').description('manage containers');
  container
    .command('inspect')
    .description('display detailed information on one or more containers')
    .argument('<container...>', 'names, IDs or unique ID prefixes')
    .option('-f, --format <template>', 'format the output using a Go template')
    .action(async (names: string[], flags: { format?: string }, cmd: Command) => (await import('./inspect.js')).runContainerInspect(cmd, names, flags));
}
