#!/usr/bin/env node
// Bin entry of `kilnd`: the daemon in the foreground (`kiln daemon` runs the same). The CLI
// starts one itself, with --embedded, when none listens for its store root.
import { parseArgs } from 'node:util';
import { kilnVersion } from '../util/version.js';
import { runDaemon } from './server/daemon.js';

const usage = `Usage: kilnd [--host unix://PATH] [--root DIR] [--debug]

  -H, --host unix://PATH  the socket to listen on (default: $KILN_HOST, else one per store root)
      --root DIR          the store root (default: $KILN_ROOT, else /var/lib/kiln as root)
      --debug             also log debug lines
  -v, --version           print the version
`;

const options = {
  host: { type: 'string', short: 'H' },
  root: { type: 'string' },
  debug: { type: 'boolean' },
  embedded: { type: 'boolean' },
  version: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parse(): ReturnType<typeof parseArgs<{ options: typeof options }>> | undefined {
  try {
    return parseArgs({ args: process.argv.slice(2), options, strict: true });
  } catch (err) {
    process.stderr.write(`kilnd: ${err instanceof Error ? err.message : String(err)}\n${usage}`);
    return undefined;
  }
}

const parsed = parse();
if (parsed === undefined) {
  process.exitCode = 125;
} else if (parsed.values.version === true) {
  process.stdout.write(`kilnd ${kilnVersion()}\n`);
} else if (parsed.values.help === true) {
  process.stdout.write(usage);
} else {
  // `ps` and `pgrep kilnd` name the daemon as they name dockerd, whichever node runs it.
  process.title = 'kilnd';
  const { host, root, debug, embedded } = parsed.values;
  process.exitCode = await runDaemon({
    ...(host === undefined ? {} : { host }), ...(root === undefined ? {} : { root }), debug: debug === true, embedded: embedded === true,
  });
  // Timers and handles of finished work (registry keep-alives) must not hold the daemon up.
  process.exit();
}
