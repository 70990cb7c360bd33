// The `kiln` program: builds the commander tree and maps every failure to one clear
// line on stderr and a docker-compatible exit code.
import { Command, CommanderError } from 'commander';
import { registerDockerfileCommands } from './commands/dockerfile.js';
import { registerContainerCommands } from './commands/container/register.js';
import { registerImageCommands } from './commands/image/register.js';
import { registerNetworkCommands } from './commands/network/register.js';
import { registerVolumeCommands } from './commands/volume/register.js';
import { reportError, USAGE_EXIT_CODE } from './report.js';
import { kilnVersion } from '../util/version.js';

export function buildProgram(): Command {
  const program = new Command('kiln')
    .description('kiln: build, ship and run OCI images')
    .version(kilnVersion(), '-v, --version', 'print the kiln version')
    .option('--debug', 'show internal details (stack traces) on errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  // Global flags (--root, --debug) come before the subcommand, as docker's do; that is what
  // lets `run IMAGE CMD...` hand everything after the image to the container (`sh -c`, `ls -v`).
  program.enablePositionalOptions();
  registerDockerfileCommands(program);
  registerImageCommands(program);
  registerContainerCommands(program);
  registerNetworkCommands(program);
  registerVolumeCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through the same path with exit code 0.
      return err.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
    }
    return reportError(err, program.opts<{ debug?: boolean }>().debug === true);
  }
}
