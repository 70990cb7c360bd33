// The daemon a command talks to: the one of `--host`, else of the store root (`--root`,
// $KILN_ROOT), started in the background when none runs there.
import type { Command } from 'commander';
import { resolveDaemonAddress, type DaemonAddress } from '../api/host.js';

export function daemonAddress(command: Command): DaemonAddress {
  const { root, host } = command.optsWithGlobals<{ root?: string; host?: string }>();
  return resolveDaemonAddress({ ...(root === undefined ? {} : { root }), ...(host === undefined ? {} : { host }) });
}
