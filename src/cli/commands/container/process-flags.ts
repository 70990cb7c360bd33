// The flags `run` and `exec` share, as docker has them: the process's stdin and terminal, its
// environment, working directory and user.
import type { Command } from 'commander';
import { collectRepeatable } from '../../flags.js';

export interface ProcessFlags {
  detach?: boolean;
  interactive?: boolean;
  tty?: boolean;
  env: string[];
  envFile: string[];
  workdir?: string;
  user?: string;
}

export function withProcessOptions(command: Command): Command {
  return command
    .option('-i, --interactive', 'attach standard input')
    .option('-t, --tty', 'allocate a pseudo-TTY')
    .option('-e, --env <K=V>', 'set an environment variable (repeatable)', collectRepeatable, [])
    .option('--env-file <file>', 'read environment variables from a file (repeatable)', collectRepeatable, [])
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user>', 'user[:group] or uid[:gid]');
}
