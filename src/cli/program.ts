// The `kiln` program: builds the commander tree and maps every failure to one clear
// line on stderr and a docker-compatible exit code.
import { Command, CommanderError } from 'commander';
import { registerBuildCommand } from './commands/build/register.js';
import { registerDockerfileCommands } from './commands/dockerfile.js';
import { registerContainerCommands } from './commands/container/register.js';
import { registerImageCommands } from './commands/image/register.js';
import { registerNetworkCommands } from './commands/network/register.js';
import { registerVolumeCommands } from './commands/volume/register.js';
import { registerPruneCommands } from './commands/build/prune-register.js';
import { reportError, USAGE_EXIT_CODE } from './report.js';
import { kilnVersion } from '../util/version.js';
import { collectRepeatable } from './flags.js';

interface DaemonFlags {
  host: string[];
  root?: string;
  debug?: boolean;
  embedded?: boolean;
  gcKeepStorage?: string;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

export function buildProgram(): Command {
  const program = new Command('kiln')
    .description('kiln: build, ship and run OCI images')
    .version(kilnVersion(), '-v, --version', 'print the kiln version')
    .option('--debug', 'show internal details (stack traces) on errors')
    .option('-H, --host <url>', 'the daemon socket to connect to: unix://PATH (default $KILN_HOST, else one per store root)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  // Global flags (--root, --debug) come before the subcommand, as docker's do; that is what
  // lets `run IMAGE CMD...` hand everything after the image to the container (`sh -c`, `ls -v`).
  program.enablePositionalOptions();
  registerDockerfileCommands(program);
  registerBuildCommand(program);
  registerImageCommands(program);
  registerContainerCommands(program);
  registerNetworkCommands(program);
  registerVolumeCommands(program);
  registerPruneCommands(program);
  program
    .command('daemon')
    .description('run the kiln daemon (kilnd) in the foreground for the store root')
    .option('-H, --host <url>', 'where to listen: unix://PATH, and tcp://ADDR:PORT with --tlsverify (repeatable)', collectRepeatable, [])
    .option('--tlsverify', 'TCP with TLS client certificates: the only TCP mode')
    .option('--tlscacert <file>', 'the CA client certificates must be signed by')
    .option('--tlscert <file>', 'the daemon\'s certificate')
    .option('--tlskey <file>', 'the daemon\'s key')
    .option('--root <dir>', 'the store root to own')
    .option('--debug', 'also log debug lines')
    .option('--embedded', 'started by the CLI: also exit when the store root is removed')
    .option('--gc-keep-storage <size>', 'the build cache size cap, kept after each build (e.g. 10GB; default: a tenth of the filesystem)')
    .action(async (flags: DaemonFlags, cmd: Command) => {
      // Given before or after `daemon`, as kilnd takes them.
      const globals = cmd.optsWithGlobals<{ host?: string | string[]; root?: string; debug?: boolean }>();
      const root = flags.root ?? globals.root;
      const debug = flags.debug ?? globals.debug;
      const hosts = [...(typeof globals.host === 'string' ? [globals.host] : []), ...flags.host];
      const { runDaemon } = await import('../daemon/server/daemon.js');
      const { listenOptions } = await import('../daemon/server/tcp-listener.js');
      const { parseMemoryBytes } = await import('../daemon/containers/resources.js');
      const gc = flags.gcKeepStorage === undefined ? {} : { gcKeepStorage: parseMemoryBytes(flags.gcKeepStorage, '--gc-keep-storage') };
      const { tlsverify, tlscacert, tlscert, tlskey } = flags;
      const listen = listenOptions({
        hosts, ...(tlsverify === undefined ? {} : { tlsverify }), ...(tlscacert === undefined ? {} : { tlscacert }),
        ...(tlscert === undefined ? {} : { tlscert }), ...(tlskey === undefined ? {} : { tlskey }),
      });
      process.exitCode = await runDaemon({ ...gc, ...listen, ...(root === undefined ? {} : { root }), debug: debug === true, embedded: flags.embedded === true });
    });
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
